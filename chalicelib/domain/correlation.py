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


def decide(facts: ThreadFacts) -> ThreadDecision:
    """Apply the threading rules in order: token, references, subject tag, new.

    A forged From (DMARC fail) never joins an existing ticket, whatever it
    carries: the signals below all trust the sender to some degree.
    """
    notes: list[str] = []
    related = ""
    if facts.dmarc_failed:
        notes.append("DMARC failed: not threaded into an existing ticket")

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
        elif not facts.dmarc_failed:
            return ThreadDecision(token_ticket.id, "token", notes=tuple(notes))

    for ticket in facts.referenced:
        if ticket.mailbox != facts.mailbox:
            continue
        if _closed(ticket, notes):
            related = related or ticket.id
            continue
        if ticket.has_participant(facts.sender) and not facts.dmarc_failed:
            return ThreadDecision(ticket.id, "references", notes=tuple(notes))
        notes.append(f"references {ticket.id}, but {facts.sender or 'the sender'} is not a participant")
        related = related or ticket.id

    subject_ticket = facts.subject_ticket
    if subject_ticket is not None:
        if subject_ticket.mailbox != facts.mailbox:
            notes.append(f"subject tag names {subject_ticket.id} of another mailbox")
        elif _closed(subject_ticket, notes):
            pass
        elif subject_ticket.has_participant(facts.sender) and not facts.dmarc_failed:
            return ThreadDecision(subject_ticket.id, "subject", notes=tuple(notes))
        else:
            notes.append(f"subject tag names {subject_ticket.id}, but the sender is not a participant")
        related = related or subject_ticket.id

    return ThreadDecision(None, "new", related_ticket=related, notes=tuple(notes))
