"""Filing a classified mail on a ticket: the threading decision and the atomic commit."""

from __future__ import annotations

from dataclasses import field, replace

from chalicelib import observability
from chalicelib.domain import correlation, message_claims, notes, participants, sender_trust, sla
from chalicelib.domain.classify_types import Classification, MailKind
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import Address, ParsedMail, ReceivedMail, Verdict, parse_addresses
from chalicelib.domain.outcome import Outcome, OutcomeKind
from chalicelib.domain.reply_tokens import claimed_ticket, new_nonce, read_token
from chalicelib.domain.routing import Route
from chalicelib.domain.search_terms import stored_message_terms
from chalicelib.domain.tickets import (
    Direction,
    MessageKind,
    Priority,
    StoredMessage,
    Ticket,
    TicketStatus,
    ticket_id_for,
)
from chalicelib.errors import ConcurrentUpdate, DuplicateMessageId, TicketNumberTaken
from chalicelib.services import message_builder
from chalicelib.services.ingest_ports import IngestPorts
from chalicelib.services.ports.records import TicketChange
from chalicelib.settings import Settings

REOPENING_STATUSES = (TicketStatus.PENDING, TicketStatus.SOLVED)
MAX_NUMBER_ATTEMPTS = 5  # new tickets committed by others between one delivery's read and commit


def sender_of(mail: ParsedMail) -> Address:
    """From, else Reply-To or Sender, else the envelope sender SES recorded in Return-Path."""
    extra = (mail.header("sender"), mail.header("return-path"))
    for found in (mail.from_, mail.reply_to, *(parse_addresses(value) for value in extra)):
        if found:
            return found[0]
    return Address(email="")


def wanted_message_ids(mail: ParsedMail) -> list[str]:
    """The ids that can thread this mail, closest ancestor first (In-Reply-To, then
    References newest first), and its own Message-ID last (is it a duplicate?)."""
    wanted = list(mail.in_reply_to) + list(reversed(mail.references[-20:]))
    return [*wanted, mail.message_id] if mail.message_id else wanted


@frozen
class Threading:
    """The threading decision and the tickets read to make it."""

    decision: correlation.ThreadDecision
    tickets: dict[str, Ticket]
    trust: sender_trust.SenderTrust
    # How the mail's own Message-ID enters the index (domain/message_claims.py).
    entry: message_claims.IndexEntry = field(default_factory=message_claims.IndexEntry)


class TicketFiling:
    def __init__(self, settings: Settings, ports: IngestPorts) -> None:
        self.settings = settings
        self.ports = ports

    def decide_thread(
        self,
        mail: ParsedMail,
        received: ReceivedMail,
        where: Route,
        hits: dict[str, str],
        claims: dict[str, message_claims.MessageIdClaim] | None = None,
        automatic: bool = False,
    ) -> Threading:
        """Which ticket this mail joins, given the Message-ID index entries `hits` of
        wanted_message_ids(mail) and what `claims` those entries know of their mails;
        DuplicateMessageId when the mailbox has this very mail (its Message-ID, stored by
        the same mail: domain/message_claims.py). Another mail that merely claims its
        Message-ID is filed, and threads by nothing that entry says. `automatic`: the mail
        was classified automatic (part of what makes it the same mail)."""
        tickets = self.ports.tickets
        sender = mail.from_[0].email if mail.from_ else ""
        claimed = claimed_ticket(where.address) if where.tag else None
        trust = sender_trust.assess(mail, received)
        entry = message_claims.IndexEntry(
            message_claims.claim_of(
                mail,
                sender_of(mail).email,
                trust.authenticated,
                automatic,
                where.address if where.tag else "",
            )
        )
        reused: notes.Note | None = None
        if mail.message_id and mail.message_id in hits:
            stored = (claims or {}).get(mail.message_id, message_claims.MessageIdClaim())
            reuse = message_claims.judge(stored, entry.claim)
            if reuse == message_claims.Reuse.DUPLICATE:
                raise DuplicateMessageId(mail.message_id, hits[mail.message_id])
            taken_over = reuse == message_claims.Reuse.TAKE_OVER
            entry = replace(entry, indexed=taken_over, replaces=stored if taken_over else None)
            reused = message_claims.reuse_note(mail.message_id, hits[mail.message_id], reuse)
        # Its own Message-ID never threads a mail: held by another mail, it names that mail's ticket.
        wanted = [m for m in wanted_message_ids(mail) if m != mail.message_id]
        subject_id = correlation.subject_ticket_id(mail.subject)
        ids = [hits[m] for m in wanted if m in hits]
        ids += [t for t in (claimed, subject_id) if t]
        known = tickets.get_tickets(ids)
        # The token verifies against the claimed ticket's own random value: a number
        # issued again holds another one, so an old ticket's token fails here.
        nonce = known[claimed].token_nonce if claimed in known else ""
        token = read_token(self.ports.reply_secrets(), where.address, nonce) if claimed else None
        facts = correlation.ThreadFacts(
            mailbox=where.mailbox,
            sender=sender,
            authenticated=trust.authenticated,
            trust_reason=trust.reason,
            dmarc_failed=received.verdicts.dmarc == Verdict.FAIL,
            from_mailboxes=len(mail.from_),
            token=token,
            token_ticket=known.get(token.ticket_id) if token else None,
            referenced=tuple(
                known[t] for t in dict.fromkeys(hits[m] for m in wanted if m in hits) if t in known
            ),
            subject_ticket=known.get(subject_id) if subject_id else None,
        )
        decision = correlation.decide(facts)
        if reused:
            decision = replace(decision, notes=(*decision.notes, reused))
        return Threading(decision, known, trust, entry)

    def file(
        self,
        received: ReceivedMail,
        mail: ParsedMail,
        where: Route,
        decision: Classification,
        threading: Threading,
        last_number: int,
        policy: sla.SlaPolicy | None = None,
    ) -> Outcome:
        """Attachments and bodies to S3, then the ticket write, the message, its Message-ID
        and the delivery record at once. `policy`: the SLA targets, which start the new
        ticket's clocks (or restart a solved one's).

        A new ticket takes the number after `last_number`, the counter as read. If
        another delivery commits a new ticket first, the counter is read again and
        the files are stored again under the next number (the first copies stay,
        unreferenced, under the number lost); after MAX_NUMBER_ATTEMPTS the
        delivery fails and the queue retries it.
        """
        policy = policy or sla.SlaPolicy()
        if threading.decision.ticket_id:
            return self._file_once(
                received, mail, where, decision, threading, threading.decision.ticket_id, policy
            )
        number = last_number + 1
        for _ in range(MAX_NUMBER_ATTEMPTS):
            try:
                return self._file_once(
                    received, mail, where, decision, threading, ticket_id_for(number), policy, last_number
                )
            except TicketNumberTaken as taken:
                last_number = self.ports.tickets.ticket_counter()
                # A ticket holding the number while the counter is behind it: step past it.
                number = max(last_number, taken.number if taken.ticket_exists else 0) + 1
        raise ConcurrentUpdate(f"no free ticket number after {MAX_NUMBER_ATTEMPTS} attempts")

    def _file_once(
        self,
        received: ReceivedMail,
        mail: ParsedMail,
        where: Route,
        decision: Classification,
        threading: Threading,
        ticket_id: str,
        policy: sla.SlaPolicy,
        last_number: int = 0,
    ) -> Outcome:
        tickets = self.ports.tickets
        thread = threading.decision
        now = self.ports.now()
        ses_id = received.ses_message_id
        observability.add_keys(ticket_id=ticket_id)
        attachments = message_builder.store_attachments(self.ports.store, mail, ticket_id, ses_id)
        body = message_builder.render_body(
            self.ports.store, self.ports.renderers, mail, ticket_id, ses_id, self.settings.inline_body_limit
        )
        sender = sender_of(mail)
        known = None
        if thread.ticket_id:
            known = threading.tickets.get(thread.ticket_id) or tickets.require_ticket(thread.ticket_id)
        admission, why_not = self._participants(mail, threading.trust, known, sender.email)
        noted = tuple(
            n
            for n in (
                decision.reason_note or notes.plain(decision.reason),
                *thread.notes,
                admission.note(),
                why_not,
            )
            if n.text
        )
        message = StoredMessage(
            ticket_id=ticket_id,
            key=ses_id,
            direction=Direction.INBOUND,
            kind=MessageKind.AUTO_REPLY if decision.kind == MailKind.AUTO_REPLY else MessageKind.CUSTOMER,
            sender=sender.email,
            sender_name=sender.name,
            to=tuple(a.email for a in mail.to),
            cc=tuple(a.email for a in mail.cc),
            subject=mail.subject,
            message_id=mail.message_id,
            received_at=received.received_at,
            date=mail.date.isoformat() if mail.date else "",
            thread_signal=thread.signal,
            body=body,
            related_ticket=thread.related_ticket,
            reason=notes.joined(noted),
            notes=noted,
            verdicts=received.verdicts.as_dict(),
            authenticated=threading.trust.authenticated,
            trust_reason=threading.trust.reason,
            attachments=attachments,
            lossy_decoding=mail.lossy_decoding,
            defects=mail.defects,
        )
        outcome = Outcome(
            outcome=OutcomeKind.AUTO_REPLY
            if decision.kind == MailKind.AUTO_REPLY
            else (OutcomeKind.THREADED if thread.ticket_id else OutcomeKind.CREATED),
            ses_message_id=ses_id,
            ticket=ticket_id,
            mailbox=where.mailbox,
            thread_signal=thread.signal,
            attachments=tuple(a.as_outcome() for a in attachments),
            reason=decision.reason or None if decision.kind == MailKind.AUTO_REPLY else None,
            related_ticket=thread.related_ticket or None,
            notes=thread.texts,
        )
        record = {**outcome.as_record(), "received_at": received.received_at}
        terms = stored_message_terms(message)  # committed with the message
        if known is None:
            ticket = Ticket(
                id=ticket_id,
                mailbox=where.mailbox,
                subject=mail.subject or "(no subject)",
                requester=message.sender,
                participants=admission.added,
                created_at=now,
                updated_at=now,
                message_count=1,
                attachment_count=len(attachments),
                token_nonce=new_nonce(),
                related_ticket=thread.related_ticket,
                related_reason=notes.joined(thread.notes) if thread.related_ticket else "",
                related_notes=thread.notes if thread.related_ticket else (),
                last_from="customer" if message.kind == MessageKind.CUSTOMER else "",
                sla=sla.start(policy.target(where.mailbox, Priority.NORMAL), now),
                requester_authenticated=threading.trust.authenticated,
            )
            tickets.commit_new(ses_id, ticket, message, record, last_number, terms, threading.entry)
        else:
            change = self._change(known, now, message, admission.added, len(attachments), policy)
            tickets.commit_thread(
                ses_id, where.mailbox, change, message, record, terms, known.created_at, threading.entry
            )
        return outcome

    def _change(
        self,
        ticket: Ticket,
        now: str,
        message: StoredMessage,
        participants: tuple[str, ...],
        count: int,
        policy: sla.SlaPolicy,
    ) -> TicketChange:
        ticket_id = ticket.id
        customer = message.kind == MessageKind.CUSTOMER
        reopen = customer and ticket.status in REOPENING_STATUSES
        restarted = None
        if reopen and ticket.status == TicketStatus.SOLVED:  # a new resolution clock from now
            target = policy.target(ticket.mailbox, ticket.priority)
            restarted = replace(ticket, sla=sla.reopened(ticket.sla, target, now))
        return TicketChange(
            ticket_id=ticket_id,
            updated_at=now,
            new_participants=tuple(p for p in participants if not ticket.has_participant(p)),
            attachments=count,
            reopen_to=TicketStatus.OPEN if reopen else "",
            old_status=ticket.status,
            reopened=ticket if reopen else None,
            last_from="customer" if customer else "",
            assignee=ticket.assignee,
            restarted=restarted,
            # Only the requester's own address proves the requester: a participant's
            # authenticated mail says nothing of whoever opened the ticket.
            requester_authenticated=not ticket.requester_authenticated
            and message.authenticated is True
            and message.sender == ticket.requester,
        )

    def _participants(
        self, mail: ParsedMail, trust: sender_trust.SenderTrust, ticket: Ticket | None, sender: str
    ) -> tuple[participants.Admission, notes.Note]:
        """Who this mail brings in (its Cc, To and Reply-To), and why nobody when it brings none.

        Only authenticated mail of the requester or a participant adds anyone (SECURITY.md):
        the Cc of a spoofed mail must not be copied on the victim's replies.
        """
        ours = self.settings.domain
        offered = participants.offered(mail, lambda p: p.endswith("@" + ours) or p.endswith("." + ours))
        none = notes.plain("")
        if not offered:
            return participants.Admission(), none
        if not trust.authenticated:
            return participants.Admission(), participants.UNAUTHENTICATED
        if ticket is None:
            return participants.admit(sender, (), offered), none
        if not ticket.has_participant(sender):
            return participants.Admission(), participants.not_a_participant(sender)
        return participants.admit(ticket.requester, ticket.participants, offered), none
