"""Deciding which ticket a received message joins, and recording why.

The service gathers the facts (token claim, tickets named by references or the
subject tag); this module only decides, so every rule is testable without AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chalicelib.domain.reply_tokens import TokenClaim
from chalicelib.domain.tickets import Ticket

_SUBJECT_TAG = re.compile(r"\[\s*(T-\d{1,12})\s*\]", re.IGNORECASE)


def subject_ticket_id(subject: str) -> str | None:
    """The first `[T-123]` tag in a subject, normalised."""
    match = _SUBJECT_TAG.search(subject or "")
    return f"T-{int(match.group(1)[2:])}" if match else None


@dataclass(frozen=True)
class ThreadFacts:
    mailbox: str
    sender: str
    dmarc_failed: bool = False
    from_mailboxes: int = 1  # how many mailboxes the From line names
    token: TokenClaim | None = None
    token_ticket: Ticket | None = None
    # Tickets whose stored or sent Message-IDs this mail refers to, In-Reply-To first.
    referenced: tuple[Ticket, ...] = ()
    subject_ticket: Ticket | None = None


@dataclass(frozen=True)
class ThreadDecision:
    ticket_id: str | None
    signal: str  # "token" | "references" | "subject" | "new"
    related_ticket: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def _closed(ticket: Ticket, notes: list[str]) -> bool:
    """Closed tickets take no more mail: a reply becomes a follow-up ticket."""
    if ticket.status == "closed":
        notes.append(f"{ticket.id} is closed: opened a follow-up ticket")
        return True
    return False


def _sender_doubt(facts: ThreadFacts) -> str:
    """Why the From address cannot be trusted, or "" when it can."""
    if facts.dmarc_failed:
        return "DMARC failed"
    if facts.from_mailboxes > 1:
        # `alice@x.org <mallory@evil.test>`: parsers disagree on which mailbox sent it,
        # and DMARC judged only one of them (RFC 7489 6.6.1 leaves such mail to us).
        return f"From names {facts.from_mailboxes} mailboxes"
    return ""


def decide(facts: ThreadFacts) -> ThreadDecision:
    """Apply the threading rules in order: token, references, subject tag, new.

    A sender we cannot trust (DMARC fail, an ambiguous From) never joins an existing
    ticket, whatever it carries: the signals below all trust the sender to some degree.
    The ticket it claimed is kept as the related ticket, for staff to see.
    """
    notes: list[str] = []
    related = ""
    doubt = _sender_doubt(facts)
    if doubt:
        notes.append(f"{doubt}: not threaded into an existing ticket")

    token_ticket = facts.token_ticket
    if facts.token is not None:
        if not facts.token.valid:
            notes.append(f"reply token for {facts.token.ticket_id} did not verify")
            related = related or facts.token.ticket_id
        elif token_ticket is None or token_ticket.mailbox != facts.mailbox:
            notes.append(f"reply token names {facts.token.ticket_id}, not a ticket of this mailbox")
            related = related or facts.token.ticket_id
        elif _closed(token_ticket, notes):
            related = related or token_ticket.id
        elif doubt:
            related = related or token_ticket.id
        else:
            return ThreadDecision(token_ticket.id, "token", notes=tuple(notes))

    for ticket in facts.referenced:
        if ticket.mailbox != facts.mailbox:
            continue
        if _closed(ticket, notes):
            related = related or ticket.id
            continue
        if not doubt:
            if ticket.has_participant(facts.sender):
                return ThreadDecision(ticket.id, "references", notes=tuple(notes))
            notes.append(f"references {ticket.id}, but {facts.sender or 'the sender'} is not a participant")
        related = related or ticket.id

    subject_ticket = facts.subject_ticket
    if subject_ticket is not None:
        if subject_ticket.mailbox != facts.mailbox:
            notes.append(f"subject tag names {subject_ticket.id} of another mailbox")
        elif _closed(subject_ticket, notes):
            pass
        elif doubt:
            pass
        elif subject_ticket.has_participant(facts.sender):
            return ThreadDecision(subject_ticket.id, "subject", notes=tuple(notes))
        else:
            notes.append(f"subject tag names {subject_ticket.id}, but the sender is not a participant")
        related = related or subject_ticket.id

    return ThreadDecision(None, "new", related_ticket=related, notes=tuple(notes))
