"""The suspended list: automatic mail that threaded nowhere, kept for staff to review."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain import verdicts
from chalicelib.domain.classify_types import Classification, MailKind
from chalicelib.domain.mail import ReceivedMail
from chalicelib.domain.notes import note
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.routing import Route
from chalicelib.errors import AlreadyProcessed, SuspendedNotFound
from chalicelib.services.ticket_filing import wanted_message_ids

RELEASED = note("released", "released by staff from the suspended list")

if TYPE_CHECKING:
    from chalicelib.services.ingest_ports import IngestPorts
    from chalicelib.services.ports.records import SuspendedMessage
    from chalicelib.services.ticket_filing import TicketFiling


class SuspendedMail:
    def __init__(self, ports: IngestPorts, filing: TicketFiling) -> None:
        self.ports = ports
        self.filing = filing

    def list(self, mailbox: str) -> list[SuspendedMessage]:
        return self.ports.suspended.suspended(mailbox)

    def release(self, mailbox: str, suspended_key: str) -> Outcome:
        """Staff decided a suspended automatic mail is support work: make it a ticket message.

        The raw stays where it is (in archive/); the release is its own delivery
        (`<ses-id>.released`), so releasing twice stores one message.
        """
        suspended = self.ports.suspended.get_suspended(mailbox, suspended_key)
        if suspended is None:
            raise SuspendedNotFound(f"{mailbox}/{suspended_key}")
        raw = self.ports.store.get_raw(self.ports.store.bucket, suspended.archive_key)
        mail = self.ports.read_mail(raw)
        received = ReceivedMail(
            ses_message_id=f"{suspended.ses_message_id}.released",
            bucket=self.ports.store.bucket,
            key=suspended.archive_key,
            recipients=suspended.recipients,
            verdicts=verdicts.from_headers(mail),
            received_at=suspended.received_at,
        )
        where = Route(mailbox=mailbox, address="")
        decision = Classification(kind=MailKind.NORMAL, reason=RELEASED.text, reason_note=RELEASED)
        # The raw stays in archive/: filing never moves it, only ingest does.
        found = self.ports.tickets.look_up(received.ses_message_id, mailbox, wanted_message_ids(mail))
        try:
            if found.delivery is not None:
                raise AlreadyProcessed(received.ses_message_id)
            threading = self.filing.decide_thread(mail, received, where, found.message_ids)
            outcome = self.filing.file(
                received, mail, where, decision, threading, found.last_number, found.sla
            )
        except AlreadyProcessed:
            done = found.delivery or self.ports.deliveries.get_delivery(received.ses_message_id) or {}
            outcome = Outcome.from_record(received.ses_message_id, done)
        self.ports.suspended.delete_suspended(mailbox, suspended_key)
        return outcome

    def discard(self, mailbox: str, suspended_key: str) -> None:
        """Staff decided a suspended mail needs nothing; the raw stays in archive/."""
        if self.ports.suspended.get_suspended(mailbox, suspended_key) is None:
            raise SuspendedNotFound(f"{mailbox}/{suspended_key}")
        self.ports.suspended.delete_suspended(mailbox, suspended_key)
