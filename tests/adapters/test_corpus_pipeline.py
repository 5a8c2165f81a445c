"""Every message of the shared corpus through the real pipeline: one outcome each, no crash."""

from __future__ import annotations

import collections

import pytest

from chalicelib.domain.outcome import OUTCOMES
from inbound.local.replay import Replayer
from tests.support.corpus import mail_files, relative, require_corpus

pytestmark = pytest.mark.corpus


def test_every_corpus_message_ends_with_exactly_one_outcome(stack):
    """GIVEN ~1,900 real-world messages (malformed ones included) replayed into one stack
    THEN each ends as exactly one outcome, none by crashing, and incoming/ is left empty."""
    require_corpus()
    files = mail_files()
    replayer = Replayer(stack.ingest, stack.store)
    outcomes = {}
    for path in files:
        outcomes[relative(path)] = replayer.process_bytes(path.read_bytes())
    assert len(outcomes) == len(files) > 1500
    crashed = {name: o.reason for name, o in outcomes.items() if (o.reason or "").startswith("failed")}
    assert crashed == {}
    assert {o.outcome for o in outcomes.values()} <= set(OUTCOMES)
    for name, outcome in outcomes.items():
        if outcome.outcome in ("quarantined", "bounce", "auto_reply", "duplicate"):
            assert outcome.reason, f"{name}: {outcome.outcome} without a reason"
        if outcome.outcome in ("created", "threaded"):
            assert outcome.ticket and outcome.mailbox, name
    not_bounces = [n for n in outcomes if "/sisimai-set-of-emails/not/" in n]
    assert not_bounces and all(outcomes[n].outcome != "bounce" for n in not_bounces)
    assert stack.keys("incoming/") == []
    counts = collections.Counter(o.outcome for o in outcomes.values())
    print(f"corpus outcomes over {len(files)} files: {dict(counts)}")
