"""What undo-send needs: the held replies (tickets table) and the delayed queue message
that sends each one when its window has passed (domain/held_replies.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.domain.held_replies import HeldReply, HeldState


class HeldReplies(Protocol):
    def hold(self, reply: HeldReply, expires_at: int) -> None:
        """Store a new held reply (`waiting`)."""
        ...

    def get(self, ticket_id: str, hold_id: str) -> HeldReply | None: ...

    def of_ticket(self, ticket_id: str) -> list[HeldReply]:
        """The ticket's held replies still kept, in any state."""
        ...

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
        """Move the reply from `before` to `after` if it is in `before` now (one conditional
        write); False when it was not (someone else moved it first). A refusal keeps its
        text, its code and the values its sentence names."""
        ...


class SendQueue(Protocol):
    def enqueue(self, body: dict[str, Any], delay_seconds: int = 0) -> None: ...
