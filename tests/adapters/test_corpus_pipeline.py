"""Messages of the shared corpus through the real pipeline on the embedded AWS stack (moto,
under the AWS contract hook): one outcome each, no crash, nothing AWS would refuse.

Every message runs through ingest on the in-memory ports in tests/services/test_corpus_ingest.py
(seconds). Here each costs some 170 ms of moto, so `make test` replays every 8th file of each
source (mail/<source>, bounces/<source>: its first file and every 8th after it, about 250)
and INBOUND_LONG=1 all of them (about five minutes of one worker)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.support.corpus import mail_files, relative, require_corpus
from tests.support.corpus_replay import assert_one_outcome_each, replay

pytestmark = pytest.mark.corpus

EVERY = 1 if os.environ.get("INBOUND_LONG") == "1" else 8


def _sample(files: list[Path]) -> list[Path]:
    def source(path: Path) -> str:
        return "/".join(relative(path).split("/")[:2])

    return [path for _, group in itertools.groupby(files, key=source) for path in list(group)[::EVERY]]


def test_corpus_messages_end_with_exactly_one_outcome_on_the_aws_stack(stack):
    """GIVEN real-world messages (malformed ones included) replayed into one stack
    THEN each ends as exactly one outcome, none by crashing, and incoming/ is left empty."""
    require_corpus()
    files = _sample(mail_files())

    outcomes = replay(stack.ingest, stack.store, files)

    assert len(outcomes) == len(files) > 1500 // EVERY
    assert_one_outcome_each(outcomes, stack.keys("incoming/"))
