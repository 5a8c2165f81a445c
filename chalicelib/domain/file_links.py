"""Signed download links for attachments too large to mail: `<claim>.<mac>`, base64url.

A presigned S3 GET made with a Lambda role's temporary credentials stops working when those
credentials expire (S3: "if you created a presigned URL using a temporary token, then the URL
expires when the token expires, even if the URL was created with a later expiration time"),
hours before a 24-hour link would. So mail carries a link to the stage's own API instead:
the token names one object, how it is served and until when, under an HMAC with the reply
secrets; the API answers a valid one with a fresh, short presigned redirect. Changing any
byte of the claim (another key, a later expiry, inline instead of download) breaks the MAC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from chalicelib.domain.frozen import frozen

_MAC_BYTES = 16
_MAX_TOKEN = 2048


@frozen
class FileClaim:
    """What a link grants: one object, served as the mail's sender meant, until `expires`."""

    key: str
    safe_name: str
    sniffed_type: str
    risky: bool
    expires: int  # epoch seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, claim: bytes) -> bytes:
    # The label keeps these MACs apart from the unsubscribe tokens under the same secret.
    return hmac.new(secret, b"file-link\0" + claim, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(secret: bytes, claim: FileClaim) -> str:
    data = json.dumps(
        [claim.key, claim.safe_name, claim.sniffed_type, claim.risky, claim.expires],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()
    return f"{_b64(data)}.{_b64(_mac(secret, data))}"


def verify(token: str, secrets: tuple[bytes, ...], now: float) -> FileClaim | None:
    """The claim when the token verifies under any of `secrets` (rotation) and has not expired."""
    if len(token) > _MAX_TOKEN:
        return None
    encoded, _, mac = token.partition(".")
    try:
        data = _unb64(encoded)
        given = _unb64(mac)
    except (ValueError, binascii.Error):
        return None
    if not any(hmac.compare_digest(given, _mac(s, data)) for s in secrets):
        return None
    key, safe_name, sniffed_type, risky, expires = json.loads(data)
    claim = FileClaim(str(key), str(safe_name), str(sniffed_type), bool(risky), int(expires))
    return claim if now < claim.expires else None
