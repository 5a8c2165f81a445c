"""Staff adding and removing a ticket's participants (the people its replies copy)."""

from __future__ import annotations

from chalicelib.domain import audit, participants
from chalicelib.domain.address_ascii import NotSendable, ascii_domain, sendable
from chalicelib.domain.mail import MAX_ADDRESS_BYTES, parse_addresses
from chalicelib.domain.send_policy import is_own_address
from chalicelib.domain.tickets import Ticket
from chalicelib.errors import InvalidRequest, TicketConflict
from chalicelib.services.desk_ports import DeskPorts, editable
from chalicelib.settings import Settings


def _address(text: str) -> str:
    """One bare mailbox, lower-cased, its domain in IDNA; InvalidRequest for anything else
    (names, lists, breaks, a local part SES cannot send to)."""
    found = parse_addresses(text)
    cleaned = text.strip().strip("<>").lower()
    if (
        len(found) != 1
        or found[0].email != ascii_domain(cleaned)
        or len(found[0].email.encode()) > MAX_ADDRESS_BYTES
        or any(c in cleaned for c in ',;<>"\r\n')
    ):
        raise InvalidRequest("address must be one email address, such as bob@customer.example")
    try:
        return sendable(found[0].email)
    except NotSendable as exc:
        raise InvalidRequest(str(exc)) from None


def add(ports: DeskPorts, settings: Settings, ticket_id: str, address: str, agent: str = "") -> Ticket:
    """Copy `address` on the ticket's replies from now on (at most MAX_PARTICIPANTS)."""
    email = _address(address)
    if is_own_address(email, settings.domain, settings.mailboxes):
        raise InvalidRequest(f"{email} is one of our own addresses")
    ticket = editable(ports, ticket_id)
    if ticket.has_participant(email):
        return ticket
    if len(ticket.copied) >= participants.MAX_PARTICIPANTS:
        raise TicketConflict(
            f"{ticket.id} has {len(ticket.copied)} participants already, the most a ticket may have; remove one first"
        )
    # The set holds the requester too: room for the others plus them, before this one.
    now = ports.now()
    trail = (audit.event(ticket.id, agent, f"added {email} to Cc", now),) if agent else ()
    ports.edits.change_participants(ticket, "add", email, now, participants.MAX_PARTICIPANTS, trail)
    return ports.queue.load(ticket.id)[0]


def remove(ports: DeskPorts, ticket_id: str, address: str, agent: str = "") -> Ticket:
    """Stop copying `address`; the requester cannot be removed (replies go to them)."""
    email = _address(address)
    ticket = editable(ports, ticket_id)
    if email == ticket.requester:
        raise InvalidRequest(f"{email} is the requester of {ticket.id}; replies always go to them")
    if email not in ticket.copied:
        return ticket
    now = ports.now()
    trail = (audit.event(ticket.id, agent, f"removed {email} from Cc", now),) if agent else ()
    ports.edits.change_participants(ticket, "remove", email, now, 0, trail)
    return ports.queue.load(ticket.id)[0]
