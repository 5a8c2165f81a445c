"""Announcements: one message to many requesters, sent once each, that they can opt out of.

Standard library only. What lives here: the announcement and recipient records, the
recipient states and the moves between them, per-recipient placeholders, the signed
one-click unsubscribe token (RFC 8058), and the pacing of sends against SES's quota.

Recipient states. `pending` -> `sending` (claimed by one invocation, conditional write)
-> `sent` (SES took it) -> `delivered` | `bounced` | `complained` (SES events); from
`pending` also `refused` (the guard said no, with its reason) and from `sent`/`delivered`
`unsubscribed` (the one-click link). A recipient never leaves `sending` for a second
send: see services/announcements.py for the one window this leaves.

Opens and clicks (SES's Open and Click events, tracked by the announcements' configuration
set only) are not states: a recipient keeps its state and gathers one mark per open or
click (the event's moment, and the link for a click), a set, so an event delivered twice
counts once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.frozen import frozen


class RecipientState(StrEnum):
    """Where one recipient of an announcement stands (the moves: this module's docstring)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    REFUSED = "refused"


class AnnouncementState(StrEnum):
    DRAFT = "draft"  # created, nobody queued yet
    SENDING = "sending"  # its recipients are queued
    DONE = "done"
    # Its batches found who started it disabled or no longer admin: the rest stay pending
    # until another admin sends it again (`stopped_reason` says why).
    STOPPED = "stopped"


_R = RecipientState
# Where an SES event may move a recipient from (a late Delivery never undoes a Bounce).
EVENT_MOVES = {
    _R.SENT: (_R.SENDING,),  # SES's Send event settles a recipient a crash left in `sending`
    _R.DELIVERED: (_R.SENDING, _R.SENT),
    _R.BOUNCED: (_R.SENDING, _R.SENT, _R.DELIVERED),
    _R.COMPLAINED: (_R.SENDING, _R.SENT, _R.DELIVERED, _R.BOUNCED),
    _R.UNSUBSCRIBED: (_R.SENT, _R.DELIVERED),
}
LIST_NAME = "announcements"  # the one list a requester opts out of; never ticket replies
PLACEHOLDERS = ("name", "email", "ticket")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_TOKEN_MAC_BYTES = 16
MARKS_KEPT = 100  # opens or clicks kept per recipient (a mail client that re-opens forever)


@frozen
class Recipient:
    address: str  # bare, lower-case
    name: str = ""
    ticket: str = ""  # the ticket that put them in the audience ("" for an uploaded list)
    state: RecipientState = RecipientState.PENDING
    reason: str = ""  # why refused, or the bounce/complaint detail
    ses_message_id: str = ""
    updated_at: str = ""
    opens: int = 0  # how many tracked opens (distinct SES events)
    clicks: int = 0


@frozen
class Announcement:
    id: str
    mailbox: str  # sent From this mailbox's address
    subject: str
    text: str
    html: str = ""  # already sanitised (nh3) when set
    audience: str = ""  # how the audience was chosen, for the report
    created_at: str = ""
    created_by: str = ""
    state: AnnouncementState = AnnouncementState.DRAFT
    started_by: str = ""  # the agent who last sent it ("": the CLI's operator, or before)
    stopped_reason: str = ""  # why its batches stopped (state STOPPED)
    total: int = 0
    counts: dict[RecipientState, int] = field(default_factory=dict)
    opened: int = 0  # recipients with at least one open (`status` counts them)
    clicked: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "mailbox": self.mailbox,
            "subject": self.subject,
            "audience": self.audience,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "state": self.state,
            "started_by": self.started_by,
            "stopped_reason": self.stopped_reason,
            "total": self.total,
            "counts": {s: int(self.counts.get(s, 0)) for s in RecipientState},
            "opened": self.opened,
            "clicked": self.clicked,
        }


def new_id(now: datetime) -> str:
    """`A-20261207-3f2c9a`: sortable by day, unguessable enough to be no secret's stand-in."""
    return f"A-{now.strftime('%Y%m%d')}-{secrets.token_hex(3)}"


def render(template: str, recipient: Recipient, as_html: bool = False) -> str:
    """`template` with {name}, {email} and {ticket} filled in; nothing else is a placeholder
    (no attribute access, no format spec: a body is text, not a format string). In HTML the
    values are escaped: a requester's display name is theirs to choose."""

    def value(match: re.Match[str]) -> str:
        found = {
            "name": recipient.name or recipient.address.partition("@")[0],
            "email": recipient.address,
            "ticket": recipient.ticket,
        }[match.group(1)]
        return html.escape(found) if as_html else found

    return _PLACEHOLDER.sub(value, template)


# -- one-click unsubscribe (RFC 8058) ------------------------------------------------------
# Tokens name the address and, since links carry nothing unsigned, the announcement the opt-out
# is attributed to: `<address>.<announcement>.<mac>`, each base64url, the MAC over both under
# its own label (no token of the older form, `<address>.<mac>`, verifies as one of these, nor
# the reverse). Older tokens, in mail already sent, still opt out, attributed to no announcement:
# their link's `?a=` was never signed, so anyone holding one could name any announcement.
_ANNOUNCEMENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@frozen
class OptOut:
    """What a valid unsubscribe token proves: the address, and the announcement ("" for an
    older token, which named none)."""

    address: str
    announcement: str = ""


def _mac(secret: bytes, address: str, list_name: str, announcement: str | None = None) -> bytes:
    if announcement is None:  # the older form: the address alone
        message = b"\0".join((b"unsubscribe", list_name.encode(), address.lower().encode()))
    else:
        parts = (b"unsubscribe-from-announcement", list_name.encode(), address.lower().encode())
        message = b"\0".join((*parts, announcement.encode()))
    return hmac.new(secret, message, hashlib.sha256).digest()[:_TOKEN_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token(
    secret: bytes, address: str, announcement: str | None = None, *, list_name: str = LIST_NAME
) -> str:
    """`<address>.<announcement>.<mac>`, all base64url: the URL carries everything the endpoint
    needs, and only a holder of the secret can make one (so nobody opts a stranger out, or
    moves an opt-out to another announcement's report). Without `announcement`, the older form
    `<address>.<mac>` (links sent before announcements were signed; tests of them)."""
    mac = _b64(_mac(secret, address, list_name, announcement))
    named = "" if announcement is None else f".{_b64(announcement.encode())}"
    return f"{_b64(address.lower().encode())}{named}.{mac}"


def read_unsubscribe(token: str, secrets_: tuple[bytes, ...], list_name: str = LIST_NAME) -> OptOut | None:
    """What a token proves when it verifies under any of `secrets_` (rotation), else None."""
    parts = token.split(".")
    if len(parts) not in (2, 3):
        return None
    try:
        address = _unb64(parts[0]).decode()
        announcement = _unb64(parts[1]).decode() if len(parts) == 3 else None
        given = _unb64(parts[-1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if "@" not in address or len(address) > 320:
        return None
    if announcement is not None and not _ANNOUNCEMENT_ID.fullmatch(announcement):
        return None
    if any(hmac.compare_digest(given, _mac(s, address, list_name, announcement)) for s in secrets_):
        return OptOut(address.lower(), announcement or "")
    return None


def unsubscribe_headers(url: str, mailto: str) -> tuple[tuple[str, str], ...]:
    """RFC 2369 List-Unsubscribe with both an https and a mailto URI, and RFC 8058's
    List-Unsubscribe-Post that makes the https one a one-click POST. RFC 8058 §4: receivers
    honour the POST only when a valid DKIM signature covers both headers; SES's Easy DKIM
    signs what we hand over with the domain's key, and DEPLOY.md says how to check that its
    `h=` lists them on a received announcement."""
    return (
        ("List-Unsubscribe", f"<{url}>, <mailto:{mailto}?subject=unsubscribe>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


# -- pacing ----------------------------------------------------------------------------------
@frozen
class SendQuota:
    """SES's GetAccount SendQuota. `max_24_hour` -1: unlimited (SES says so for some accounts)."""

    max_24_hour: float
    max_rate: float
    sent_last_24_hours: float

    def remaining(self, reserve_share: float) -> int:
        """Sends left today for announcements, keeping `reserve_share` of the day's quota
        for transactional mail (acknowledgements and replies must never find it empty)."""
        if self.max_24_hour < 0:
            return 1 << 30
        return max(0, int(self.max_24_hour * (1 - reserve_share) - self.sent_last_24_hours))


class Pacer:
    """At most `rate` sends a second: `wait()` before each send sleeps until its slot.

    The first slot is one interval after the pacer starts: the invocation before this one on
    the same concurrency slot may have sent a moment ago, and without that interval the two
    would send back to back, over the rate. The clock and the sleep are ports, so tests run a
    virtual clock and never sleep."""

    def __init__(self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.interval = 1.0 / rate if rate > 0 else 1.0
        self._clock, self._sleep = clock, sleep
        self._next = clock() + self.interval

    def wait(self) -> float:
        """Block until the next slot; the time it starts at."""
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._clock()
        self._next = max(now, self._next) + self.interval
        return now
