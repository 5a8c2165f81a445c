"""In memory: held replies (the same promises as dynamodb_held_replies: every move is
conditional on the state it leaves, under one lock, as DynamoDB serialises writes)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.adapters.sqs_batches import SQS_MAX_DELAY
from chalicelib.domain.held_replies import HeldReply, HeldState


@dataclass
class FakeHeldReplies:
    items: dict[tuple[str, str], HeldReply] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, reply: HeldReply, expires_at: int) -> None:
        with self.lock:
            assert (reply.ticket_id, reply.hold_id) not in self.items
            self.items[(reply.ticket_id, reply.hold_id)] = reply

    def get(self, ticket_id: str, hold_id: str) -> HeldReply | None:
        return self.items.get((ticket_id, hold_id))

    def of_ticket(self, ticket_id: str) -> list[HeldReply]:
        return [reply for (ticket, _), reply in sorted(self.items.items()) if ticket == ticket_id]

    def move(
        self,
        ticket_id: str,
        hold_id: str,
        before: HeldState,
        after: HeldState,
        reason: str = "",
        message_key: str = "",
        reason_code: str = "",
        reason_values: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        with self.lock:
            found = self.items.get((ticket_id, hold_id))
            if found is None or found.state != before:
                return False
            self.items[(ticket_id, hold_id)] = replace(
                found,
                state=after,
                reason=reason,
                message_key=message_key,
                reason_code=reason_code,
                reason_values=reason_values,
            )
            return True


@dataclass
class FakeSendQueue:
    """The delayed queue: what was enqueued, with its delay; a test delivers it by hand."""

    queued: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    def enqueue(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        self.queued.append((body, max(0, min(SQS_MAX_DELAY, delay_seconds))))

    def due(self) -> list[dict[str, Any]]:
        """What a consumer receives now: the bodies enqueued without a delay."""
        return [body for body, delay in self.queued if delay == 0]
