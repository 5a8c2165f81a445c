"""Every message of the shared corpus through ingest on the in-memory ports: one outcome
each, no crash. The same sweep on the embedded AWS stack is tests/adapters/test_corpus_pipeline.py
(a sample in `make test`, every message with INBOUND_LONG=1)."""

from __future__ import annotations

import pytest

from tests.fakes.stack import FakeStack
from tests.support.corpus import mail_files, require_corpus
from tests.support.corpus_replay import assert_one_outcome_each, replay

pytestmark = pytest.mark.corpus


def test_every_corpus_message_ends_with_exactly_one_outcome():
    """GIVEN ~1,900 real-world messages (malformed ones included) replayed into one stack
    THEN each ends as exactly one outcome, none by crashing, and incoming/ is left empty."""
    require_corpus()
    files = mail_files()
    stack = FakeStack()

    outcomes = replay(stack.ingest, stack.store, files)

    assert len(outcomes) == len(files) > 1500
    assert any("/sisimai-set-of-emails/not/" in name for name in outcomes)
    assert_one_outcome_each(outcomes, stack.keys("incoming/"))
