"""Deciding which ticket a received message joins, and recording why.

The service gathers the facts (token claim, tickets named by references or the
subject tag); this module only decides, so every rule is testable without AWS.
"""

from __future__ import annotations

import re
from dataclasses import field

from chalicelib.domain.frozen import frozen
from chalicelib.domain.notes import Note, note
from chalicelib.domain.reply_tokens import TokenClaim
from chalicelib.domain.tickets import ThreadSignal, Ticket, TicketStatus

_SUBJECT_TAG = re.compile(r"\[\s*(T-\d{1,12})\s*\]", re.IGNORECASE)


def without_ticket_tags(subject: str) -> str:
    """The subject with every `[T-123]` tag taken out (a split ticket gets a tag of its own)."""
    return " ".join(_SUBJECT_TAG.sub(" ", subject or "").split())


def subject_ticket_id(subject: str) -> str | None:
    """The first `[T-123]` tag in a subject, normalised."""
    match = _SUBJECT_TAG.search(subject or "")
    return f"T-{int(match.group(1)[2:])}" if match else None


@frozen
class ThreadFacts:
    mailbox: str
    sender: str
    # sender_trust's verdict on the From mailbox: only an authenticated sender joins a
    # ticket by References or subject tag (SECURITY.md).
    authenticated: bool = False
    trust_reason: str = ""
    dmarc_failed: bool = False
    from_mailboxes: int = 1  # how many mailboxes the From line names
    token: TokenClaim | None = None
    token_ticket: Ticket | None = None
    # Tickets whose stored or sent Message-IDs this mail refers to, In-Reply-To first.
    referenced: tuple[Ticket, ...] = ()
    subject_ticket: Ticket | None = None


@frozen
class ThreadDecision:
    ticket_id: str | None
    signal: ThreadSignal
    related_ticket: str = ""
    # why it joined no ticket, or not the one claimed: each with its code (domain/notes.py)
    notes: tuple[Note, ...] = field(default_factory=tuple)

    @property
    def texts(self) -> tuple[str, ...]:
        """The notes in the server's English (the delivery record's `notes`)."""
        return tuple(n.text for n in self.notes)


def _closed(ticket: Ticket, notes: list[Note]) -> bool:
    """Closed tickets take no more mail: a reply becomes a follow-up ticket. The token, each
    References entry and the subject tag may all name the same ticket: noted once."""
    if ticket.status == TicketStatus.CLOSED:
        closed = note("closed", f"{ticket.id} is closed: opened a follow-up ticket", ticket=ticket.id)
        if closed not in notes:
            notes.append(closed)
        return True
    return False


def _sender_doubt(facts: ThreadFacts) -> Note | None:
    """Why the From address is known to be false, or None when it is not."""
    if facts.dmarc_failed:
        return note("dmarc_failed", "DMARC failed: not threaded into an existing ticket")
    if facts.from_mailboxes > 1:
        # `alice@x.org <mallory@evil.test>`: parsers disagree on which mailbox sent it,
        # and DMARC judged only one of them (RFC 7489 6.6.1 leaves such mail to us).
        return note(
            "from_mailboxes",
            f"From names {facts.from_mailboxes} mailboxes: not threaded into an existing ticket",
            mailboxes=str(facts.from_mailboxes),
        )
    return None


# How a claim is named in a note: (code prefix, English words before the ticket)
REFERENCES = ("references", "references")
SUBJECT = ("subject", "subject tag names")


def _claim(facts: ThreadFacts, ticket: Ticket, what: tuple[str, str], notes: list[Note]) -> bool:
    """Whether a References or subject-tag claim on `ticket` joins it; notes why not."""
    code, words = what
    if not facts.authenticated:
        notes.append(
            note(
                f"{code}_unauthenticated",
                f"{words} {ticket.id}, but the sender is not authenticated ({facts.trust_reason})",
                ticket=ticket.id,
                trust=facts.trust_reason,
            )
        )
        return False
    if not ticket.has_participant(facts.sender):
        notes.append(
            note(
                f"{code}_not_participant",
                f"{words} {ticket.id}, but {facts.sender or 'the sender'} is not a participant",
                ticket=ticket.id,
                sender=facts.sender or "?",
            )
        )
        return False
    return True


def decide(facts: ThreadFacts) -> ThreadDecision:
    """Apply the threading rules in order: token, references, subject tag, new.

    A valid reply token joins: it is a bearer secret only the ticket's correspondents got.
    References and the subject tag are no secret (they travel in every copy of a thread),
    so they join only for an authenticated sender who already takes part in the ticket.
    A sender known to be false (DMARC fail, an ambiguous From) joins nothing, token or not.
    A ticket claimed but not joined is kept as the related ticket, for staff to see.
    """
    notes: list[Note] = []
    related = ""
    doubt = _sender_doubt(facts)
    if doubt:
        notes.append(doubt)

    token_ticket = facts.token_ticket
    if facts.token is not None:
        if not facts.token.valid:
            notes.append(
                note(
                    "token_invalid",
                    f"reply token for {facts.token.ticket_id} did not verify",
                    ticket=facts.token.ticket_id,
                )
            )
            related = related or facts.token.ticket_id
        elif token_ticket is None or token_ticket.mailbox != facts.mailbox:
            notes.append(
                note(
                    "token_other_mailbox",
                    f"reply token names {facts.token.ticket_id}, not a ticket of this mailbox",
                    ticket=facts.token.ticket_id,
                )
            )
            related = related or facts.token.ticket_id
        elif _closed(token_ticket, notes) or doubt:
            related = related or token_ticket.id
        else:
            return ThreadDecision(token_ticket.id, ThreadSignal.TOKEN, notes=tuple(notes))

    seen: set[str] = set()
    for ticket in facts.referenced:  # In-Reply-To and References may name one ticket many times
        if ticket.mailbox != facts.mailbox or ticket.id in seen:
            continue
        seen.add(ticket.id)
        if _closed(ticket, notes):
            related = related or ticket.id
            continue
        if not doubt and _claim(facts, ticket, REFERENCES, notes):
            return ThreadDecision(ticket.id, ThreadSignal.REFERENCES, notes=tuple(notes))
        related = related or ticket.id

    subject_ticket = facts.subject_ticket
    if subject_ticket is not None:
        if subject_ticket.mailbox != facts.mailbox:
            notes.append(
                note(
                    "subject_other_mailbox",
                    f"subject tag names {subject_ticket.id} of another mailbox",
                    ticket=subject_ticket.id,
                )
            )
        elif _closed(subject_ticket, notes) or doubt:
            pass
        elif _claim(facts, subject_ticket, SUBJECT, notes):
            return ThreadDecision(subject_ticket.id, ThreadSignal.SUBJECT, notes=tuple(notes))
        related = related or subject_ticket.id

    return ThreadDecision(None, ThreadSignal.NEW, related_ticket=related, notes=tuple(notes))
