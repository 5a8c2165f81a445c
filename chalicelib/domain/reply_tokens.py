"""Signed reply addresses: `<mailbox>+<ticket>.<token>@<domain>`.

The token is an HMAC of mailbox, ticket id and a random value stored with the ticket
(`Ticket.token_nonce`) under a secret kept in AWS, so a reply address cannot be guessed
from a ticket number, and a number issued again (a point-in-time restore of the table)
never accepts a token of the ticket that held it before: its random value differs.

Migration: tickets created before the random value existed have none stored; their
tokens were signed over (mailbox, ticket id) alone and keep verifying that way. A
ticket with a random value accepts only tokens signed with it. Mail systems may change the
case of a local part (RFC 5321 lets the receiving host decide), so the token uses
lower-case base32 and everything is compared case-insensitively.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from chalicelib.domain.frozen import frozen

TOKEN_LENGTH = 16  # 80 bits of base32: forging one by guessing is hopeless

_TICKET_RE = re.compile(r"^t-(\d{1,12})$", re.IGNORECASE)


def normalise_ticket_id(text: str) -> str | None:
    """`t-1042` -> `T-1042`; None when it is not a ticket id."""
    match = _TICKET_RE.match(text.strip())
    return f"T-{int(match.group(1))}" if match else None


def new_nonce() -> str:
    """The random value a new ticket stores for its tokens (64 bits, hex)."""
    return secrets.token_hex(8)


def sign(secret: bytes, mailbox: str, ticket_id: str, nonce: str = "") -> str:
    """The token; `nonce` "" only for tickets created before they had one (the old form).

    Mailbox names and ticket ids hold no `:`, so the two forms never sign the same text.
    """
    text = f"{mailbox.lower()}:{ticket_id.upper()}" + (f":{nonce.lower()}" if nonce else "")
    digest = hmac.new(secret, text.encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode("ascii").lower()[:TOKEN_LENGTH]


def reply_address(secret: bytes, mailbox_address: str, ticket_id: str, nonce: str = "") -> str:
    """The Reply-To for mail about `ticket_id` (holding `nonce`) sent from `mailbox_address`."""
    local, _, domain = mailbox_address.partition("@")
    return f"{local}+{ticket_id}.{sign(secret, local, ticket_id, nonce)}@{domain}"


@frozen
class TokenClaim:
    """What a plus-address says, and whether its signature holds."""

    ticket_id: str
    valid: bool


def _parts(address: str) -> tuple[str, str, str] | None:
    """(mailbox, ticket id, token) of `support+T-7.abcd…@domain`; token "" when absent."""
    local = address.partition("@")[0]
    base, plus, tag = local.partition("+")
    if not plus:
        return None
    ticket_part, dot, token = tag.rpartition(".")
    ticket_id = normalise_ticket_id(ticket_part if dot else tag)
    return None if ticket_id is None else (base, ticket_id, token if dot else "")


def claimed_ticket(address: str) -> str | None:
    """The ticket a plus-address names, before anything is verified (to read its nonce)."""
    parts = _parts(address)
    return parts[1] if parts else None


def read_token(keys: tuple[bytes, ...], address: str, nonce: str = "") -> TokenClaim | None:
    """The ticket claim in `support+T-7.abcd…@domain`, verified against any secret.

    `nonce` is the claimed ticket's stored random value ("" for a ticket from before
    they existed, or none found). More than one secret is accepted so that a rotated
    secret keeps old reply addresses working during the grace period.
    """
    parts = _parts(address)
    if parts is None:
        return None
    base, ticket_id, token = parts
    valid = bool(token) and any(
        hmac.compare_digest(sign(key, base, ticket_id, nonce), token.lower()) for key in keys
    )
    return TokenClaim(ticket_id=ticket_id, valid=valid)
