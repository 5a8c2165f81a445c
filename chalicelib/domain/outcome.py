"""The result of ingesting one raw message (the `inbound process --json` contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("created", "threaded", "duplicate", "quarantined", "bounce", "auto_reply")


@dataclass(frozen=True)
class Outcome:
    outcome: str
    ses_message_id: str
    ticket: str | None = None
    mailbox: str | None = None
    thread_signal: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    related_ticket: str | None = None
    failed_recipients: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self, source: str) -> dict[str, Any]:
        return {
            "source": source,
            "outcome": self.outcome,
            "ticket": self.ticket,
            "mailbox": self.mailbox,
            "thread_signal": self.thread_signal,
            "attachments": list(self.attachments),
            "reason": self.reason,
            "related_ticket": self.related_ticket,
        }

    def as_record(self) -> dict[str, Any]:
        """What the delivery record keeps, so a redelivery can answer the same."""
        return {
            "outcome": self.outcome,
            "ticket": self.ticket,
            "mailbox": self.mailbox,
            "thread_signal": self.thread_signal,
            "attachments": list(self.attachments),
            "reason": self.reason,
            "related_ticket": self.related_ticket,
            "failed_recipients": list(self.failed_recipients),
        }

    @classmethod
    def from_record(cls, ses_message_id: str, record: dict[str, Any]) -> "Outcome":
        return cls(
            outcome=str(record.get("outcome", "")),
            ses_message_id=ses_message_id,
            ticket=record.get("ticket") or None,
            mailbox=record.get("mailbox") or None,
            thread_signal=record.get("thread_signal") or None,
            attachments=tuple({**a, "size": int(a.get("size", 0))} for a in record.get("attachments") or ()),
            reason=record.get("reason") or None,
            related_ticket=record.get("related_ticket") or None,
            failed_recipients=tuple(record.get("failed_recipients") or ()),
        )
