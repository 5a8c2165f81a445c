"""How many AWS requests an action makes: a botocore `before-call` hook that counts each
request as `service.Operation`, registered on a session before any client exists (or on
one client's events). The request budgets, the search tests and the benchmarks count
with it; a cost counted this way never depends on the machine's speed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3

from chalicelib.wiring.clients import new_session


class RequestCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str = "", **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def take(self) -> dict[str, int]:
        """The requests counted since the last take, and start again."""
        taken = dict(self.calls)
        self.calls.clear()
        return taken

    def during(self, action: Callable[[], object]) -> int:
        """How many requests `action()` made."""
        before = sum(self.calls.values())
        action()
        return sum(self.calls.values()) - before


def counted_session(
    services: str = "*", region: str = "us-east-1"
) -> tuple[boto3.session.Session, RequestCounter]:
    """A new session whose requests (to `services`, e.g. "dynamodb") are counted from its first client."""
    counter = RequestCounter()
    session = new_session(region)
    session.events.register(f"before-call.{services}.*", counter)
    return session, counter
