"""The result of ingesting one raw message (the `inbound process --json` contract)."""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import Any

from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import ThreadSignal


class OutcomeKind(StrEnum):
    """What became of one raw message: every one ends as exactly one of these."""

    CREATED = "created"  # a new ticket
    THREADED = "threaded"  # a message on an existing ticket
    DUPLICATE = "duplicate"  # a delivery or Message-ID seen before
    QUARANTINED = "quarantined"  # kept aside with a reason (spam, virus, unparseable, failed)
    BOUNCE = "bounce"  # a recognised bounce or complaint report
    AUTO_REPLY = "auto_reply"  # an automatic answer (RFC 3834)


OUTCOMES = tuple(OutcomeKind)


class QuarantineReason(StrEnum):
    """Why a raw message was kept aside: its folder, `quarantine/<reason>/` (DESIGN.md)."""

    SPAM = "spam"
    VIRUS = "virus"
    OVERSIZE = "oversize"
    UNPARSEABLE = "unparseable"
    NO_SENDER = "no-sender"
    FAILED = "failed"  # failed every attempt: re-drivable with `inbound redrive`


@frozen
class Outcome:
    outcome: OutcomeKind
    ses_message_id: str
    ticket: str | None = None
    mailbox: str | None = None
    thread_signal: ThreadSignal | None = None
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
            # Every delivery record holds its outcome; one that cannot be read was processed before.
            outcome=OutcomeKind(record.get("outcome") or OutcomeKind.DUPLICATE),
            ses_message_id=ses_message_id,
            ticket=record.get("ticket") or None,
            mailbox=record.get("mailbox") or None,
            thread_signal=ThreadSignal(record["thread_signal"]) if record.get("thread_signal") else None,
            attachments=tuple({**a, "size": int(a.get("size", 0))} for a in record.get("attachments") or ()),
            reason=record.get("reason") or None,
            related_ticket=record.get("related_ticket") or None,
            failed_recipients=tuple(record.get("failed_recipients") or ()),
        )
