"""Replaying corpus messages into an ingest and checking what each ended as: shared by the
sweep on the in-memory ports (tests/services) and the one on the embedded AWS stack
(tests/adapters), which hold the corpus to the same contract."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

from chalicelib.domain.outcome import OUTCOMES, Outcome
from inbound.local.replay import Replayer
from tests.support.corpus import relative


def replay(ingest: Any, store: Any, files: list[Path]) -> dict[str, Outcome]:
    """Each file through `ingest` as SES would deliver it, in order; its outcome by corpus path."""
    replayer = Replayer(ingest, store)
    return {relative(path): replayer.process_bytes(path.read_bytes()) for path in files}


def assert_one_outcome_each(outcomes: dict[str, Outcome], incoming_left: list[str]) -> None:
    """No message crashed; each ended as one known outcome with its reason or its ticket;
    the corpus's known non-bounces are not bounces; nothing is left in incoming/."""
    crashed = {name: o.reason for name, o in outcomes.items() if (o.reason or "").startswith("failed")}
    assert crashed == {}
    assert {o.outcome for o in outcomes.values()} <= set(OUTCOMES)
    for name, outcome in outcomes.items():
        if outcome.outcome in ("quarantined", "bounce", "auto_reply", "duplicate"):
            assert outcome.reason, f"{name}: {outcome.outcome} without a reason"
        if outcome.outcome in ("created", "threaded"):
            assert outcome.ticket and outcome.mailbox, name
    not_bounces = [n for n in outcomes if "/sisimai-set-of-emails/not/" in n]
    assert all(outcomes[n].outcome != "bounce" for n in not_bounces), not_bounces
    assert incoming_left == []
    counts = collections.Counter(o.outcome for o in outcomes.values())
    print(f"corpus outcomes over {len(outcomes)} files: {dict(counts)}")
