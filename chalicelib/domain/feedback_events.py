"""One SES feedback event about one recipient: its kind, what to do about it, and how
its time and address are read.

Standard library only. `feedback.parse` reads SES notifications into these events; the
feedback service applies them, and the announcements service moves its recipients by them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from enum import StrEnum

from chalicelib.domain.address_ascii import ascii_domain
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import MAX_ADDRESS_BYTES


class FeedbackKind(StrEnum):
    """What SES reported about one recipient of a message we sent."""

    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    DELIVERY = "delivery"
    SEND = "send"
    REJECT = "reject"
    DELAY = "delay"
    OPEN = "open"  # engagement: an announcement's tracked open or click, never a counter
    CLICK = "click"


ENGAGEMENT = frozenset({FeedbackKind.OPEN, FeedbackKind.CLICK})


class FeedbackAction(StrEnum):
    """What the service does about one event (the table in `feedback`'s docstring)."""

    SUPPRESS = "suppress"
    SOFT = "soft"
    ACCOUNT_SUPPRESSED = "account_suppressed"
    COUNT = "count"
    RECORD = "record"


@frozen
class FeedbackEvent:
    key: str  # applied once per key
    kind: FeedbackKind
    action: FeedbackAction
    counter: str  # the reputation counter it adds one to (reputation.COUNTERS)
    recipient: str
    at: str  # when it happened (ISO 8601, from SES)
    ses_message_id: str
    feedback_id: str = ""
    reason: str = ""  # for `suppress`: the SuppressionReason, BOUNCE or COMPLAINT
    bounce_type: str = ""
    subtype: str = ""
    status: str = ""
    diagnostic: str = ""
    # The configuration set SES sent it with (its `ses:configuration-set` tag): announcements
    # have their own, and their events are counted apart. "" for mail reported as mail.
    configuration_set: str = ""
    announcement: str = ""  # the X-Inbound-Announcement header of the mail, when it had one


def epoch(at: str, fallback: datetime) -> int:
    """Seconds since 1970 of an SES timestamp, or of `fallback` when it does not parse."""
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        moment = fallback
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def day_of(at: str, fallback: datetime) -> str:
    """The UTC day (YYYY-MM-DD) an event happened on."""
    return datetime.fromtimestamp(epoch(at, fallback), UTC).date().isoformat()


def normalise_address(value: object) -> str:
    """`Jane <JANE@Example.com>` -> `jane@example.com`, a Unicode domain as SES names it
    (`bob@xn--bcher-kva.example`, domain/address_ascii.py); "" when there is no address."""
    if not isinstance(value, str):
        return ""
    address = ascii_domain(parseaddr(value)[1].strip().lower())
    if len(address.encode("utf-8", "surrogateescape")) > MAX_ADDRESS_BYTES:
        return ""  # no mailbox (RFC 5321), and too long for the keys built from it
    return address if "@" in address and not any(c.isspace() for c in address) else ""
