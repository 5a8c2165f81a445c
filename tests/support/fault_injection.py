"""botocore hooks that make a test session fail the way AWS can, on purpose.

They fire once per API call outside botocore's retry loop, so what they raise
reaches the code under test as a real failure does once botocore has given up.
Register them before any client of the session exists: a client copies the
session's hooks when it is created. What AWS refuses by its own rules is
inbound/local/aws_contract/'s, on for every session of the suite.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError


class FaultInjector:
    """Fails the n-th AWS call (counted over every client of a session) once; with
    `fail_at` a set, each call counted there; with `fail_from` n, every call from the
    n-th on (an outage), until it is None again.

    `kind` is "error" (a 500 InternalError) or "timeout" (the request may or may
    not have reached AWS; here it did not). `calls` ("ssm.*") counts one service's
    calls only, so that the others' neither count nor fail.
    """

    def __init__(self, session: Any, kind: str = "error", calls: str = "*.*") -> None:
        self.calls: list[str] = []
        self.fail_at: int | set[int] | None = None
        self.fail_from: int | None = None
        self.kind = kind
        session.events.register(f"before-call.{calls}", self._before_call)

    def _before_call(self, model: Any, **_kwargs: Any) -> None:
        index = len(self.calls)
        self.calls.append(f"{model.service_model.service_name}.{model.name}")
        failing = self.fail_from is not None and index >= self.fail_from
        if failing or index in (self.fail_at if isinstance(self.fail_at, set) else {self.fail_at}):
            if self.kind == "timeout":
                raise ReadTimeoutError(endpoint_url=f"https://{model.name}.injected")
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, model.name)


class CommitFirst:
    """Runs `commit(item)` for the next of `items` just before each TransactWriteItems the
    session sends, until none are left: another run committing inside this one's window
    (between its read and its write). `done` holds what each commit returned. Register
    before any client of the session exists."""

    def __init__(self, session: Any, commit: Any, items: list[Any]) -> None:
        self.commit, self.items, self.done = commit, list(items), []
        session.events.register("before-call.dynamodb.TransactWriteItems", self)

    def __call__(self, **_kwargs: Any) -> None:
        if self.items:
            self.done.append(self.commit(self.items.pop(0)))
