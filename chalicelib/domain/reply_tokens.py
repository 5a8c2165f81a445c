"""Signed reply addresses: `<mailbox>+<ticket>.<token>@<domain>`.

The token is an HMAC of mailbox and ticket id under a secret kept in AWS, so a
reply address cannot be guessed from a ticket number. Mail systems may change the
case of a local part (RFC 5321 lets the receiving host decide), so the token uses
lower-case base32 and everything is compared case-insensitively.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

TOKEN_LENGTH = 16  # 80 bits of base32: forging one by guessing is hopeless

_TICKET_RE = re.compile(r"^t-(\d{1,12})$", re.IGNORECASE)


def normalise_ticket_id(text: str) -> str | None:
    """`t-1042` -> `T-1042`; None when it is not a ticket id."""
    match = _TICKET_RE.match(text.strip())
    return f"T-{int(match.group(1))}" if match else None


def sign(secret: bytes, mailbox: str, ticket_id: str) -> str:
    digest = hmac.new(secret, f"{mailbox.lower()}:{ticket_id.upper()}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode("ascii").lower()[:TOKEN_LENGTH]


def reply_address(secret: bytes, mailbox_address: str, ticket_id: str) -> str:
    """The Reply-To for mail about `ticket_id` sent from `mailbox_address`."""
    local, _, domain = mailbox_address.partition("@")
    return f"{local}+{ticket_id}.{sign(secret, local, ticket_id)}@{domain}"


@dataclass(frozen=True)
class TokenClaim:
    """What a plus-address says, and whether its signature holds."""

    ticket_id: str
    valid: bool


def read_token(secrets: tuple[bytes, ...], address: str) -> TokenClaim | None:
    """The ticket claim in `support+T-7.abcd…@domain`, verified against any secret.

    More than one secret is accepted so that a rotated secret keeps old reply
    addresses working during the grace period.
    """
    local = address.partition("@")[0]
    base, plus, tag = local.partition("+")
    if not plus:
        return None
    ticket_part, dot, token = tag.rpartition(".")
    ticket_id = normalise_ticket_id(ticket_part if dot else tag)
    if ticket_id is None:
        return None
    valid = bool(dot) and any(
        hmac.compare_digest(sign(secret, base, ticket_id), token.lower()) for secret in secrets
    )
    return TokenClaim(ticket_id=ticket_id, valid=valid)
