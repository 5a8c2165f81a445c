"""Who an announcement goes to: the requesters of matching tickets, or an uploaded list.

The requesters come from the staff queue's own index (a Query per mailbox and status lane,
`TicketQueue.page`, filtered by tag and creation date: no Scan). Each requester is one
recipient, however many tickets they have, with their newest matching ticket (it fills
{ticket}); none of the desk's own addresses, and, unless the admin includes them, none whose
mail did not pass the sender-trust policy (SECURITY.md): anyone can write their address in
From, and an announcement to it is mail from our domain to someone who never wrote to us.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parseaddr
from typing import TYPE_CHECKING

from chalicelib.domain import announcements as ann
from chalicelib.domain.feedback_events import normalise_address
from chalicelib.domain.frozen import frozen
from chalicelib.domain.send_policy import is_own_address
from chalicelib.domain.tickets import STATUSES, TicketStatus
from chalicelib.errors import InvalidRequest
from chalicelib.services.ports.records import QueueQuery

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import TicketQueue
    from chalicelib.settings import Settings

PAGE = 100


@frozen
class AudienceFilter:
    mailbox: str | None = None  # None: every mailbox
    statuses: tuple[str, ...] = STATUSES
    tag: str | None = None
    created_from: str = ""  # ISO date or time, inclusive
    created_to: str = ""  # ISO date or time, inclusive (a date covers its whole day)
    # Requesters whose mail was not authenticated, too (the admin's choice; left out by default).
    unauthenticated: bool = False

    def describe(self) -> str:
        words = [f"mailbox {self.mailbox or 'any'}", f"status {','.join(self.statuses)}"]
        if self.tag:
            words.append(f"tag {self.tag}")
        if self.created_from or self.created_to:
            words.append(f"created {self.created_from or '…'}..{self.created_to or '…'}")
        if self.unauthenticated:
            words.append("unauthenticated requesters included")
        return "requesters of tickets: " + ", ".join(words)


# The console's Spam action closes a ticket and tags it so (static/triage.js, SPAM_TAG).
SPAM_TAG = "spam"


def requesters(
    queue: TicketQueue, settings: Settings, chosen: AudienceFilter
) -> tuple[list[ann.Recipient], int]:
    """One recipient per requester of the matching tickets, with their newest ticket, and how
    many requesters were left out as unauthenticated; none of our own addresses (a ticket from
    one: the mail would come back in to the desk), none of a ticket marked as spam (a
    spammer's address, or a stranger's the spam forged: bulk mail to them costs complaints and
    bounces, whatever the filter asks for), and, unless `chosen.unauthenticated`, none whose
    matching tickets all came from mail the sender-trust policy did not authenticate."""
    for status in chosen.statuses:
        if status not in STATUSES:
            raise InvalidRequest(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
    mailboxes = [chosen.mailbox] if chosen.mailbox else sorted(set(settings.mailboxes.values()))
    newest: dict[str, tuple[str, str]] = {}  # address -> (created_at, ticket)
    proven: set[str] = set()  # addresses with a matching ticket from authenticated mail
    end = chosen.created_to + ("T99" if len(chosen.created_to) == 10 else "")
    for mailbox in mailboxes:
        query = QueueQuery(mailbox, tuple(TicketStatus(s) for s in chosen.statuses), tag=chosen.tag)
        cursor: str | None = None
        while True:
            tickets, cursor = queue.page(query, PAGE, cursor)
            for t in tickets:
                if SPAM_TAG in t.tags:
                    continue
                if chosen.created_from and t.created_at < chosen.created_from:
                    continue
                if end and t.created_at > end:
                    continue
                address = normalise_address(t.requester)
                if is_own_address(address, settings.domain, settings.mailboxes):
                    continue
                if address and (address not in newest or newest[address][0] < t.created_at):
                    newest[address] = (t.created_at, t.id)
                if address and t.requester_authenticated:
                    proven.add(address)
            if cursor is None:
                break
    chosen_ones = sorted(newest if chosen.unauthenticated else proven)
    return [ann.Recipient(a, ticket=newest[a][1]) for a in chosen_ones], len(newest) - len(chosen_ones)


def listed_recipients(lines: Iterable[str]) -> tuple[list[ann.Recipient], list[str]]:
    """`address`, `Name <address>` or `address,Name` a line; (recipients, invalid lines)."""
    found: dict[str, ann.Recipient] = {}
    invalid: list[str] = []
    for line in (raw.strip() for raw in lines):
        if not line or line.startswith("#"):
            continue
        first, _, rest = line.partition(",")
        name, address = parseaddr(first)
        address = normalise_address(address)
        if (
            not address
            or "@" not in address
            or address.startswith("@")
            or address.endswith("@")
            or not address.isascii()  # SES sends to no UTF-8 local part (domain/address_ascii.py)
        ):
            invalid.append(line)
            continue
        found.setdefault(address, ann.Recipient(address, name=(name or rest).strip()))
    return list(found.values()), invalid
