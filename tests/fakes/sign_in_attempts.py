"""In-memory sign-in attempt counters (ports.AttemptCounters), held to the DynamoDB adapter
by tests/contracts/test_sign_in_attempts_contract.py."""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field

from chalicelib.domain.sign_in_throttle import Counter


@dataclass
class FakeSignInAttempts:
    counted: Tally[tuple[str, int]] = field(default_factory=Tally)  # (key, window start) -> attempts

    def add(self, counter: Counter) -> int:
        self.counted[counter.key, counter.window_start] += 1
        return self.counted[counter.key, counter.window_start]

    def take_back(self, counter: Counter) -> None:
        if self.counted[counter.key, counter.window_start] > 0:
            self.counted[counter.key, counter.window_start] -= 1
