"""The new-password challenge's session, bound to the address whose one-time password began it.

The console's proxy hands Cognito's NEW_PASSWORD_REQUIRED session to the browser and takes it
back with an address and the chosen password. Cognito ties a session to its user and refuses
another USERNAME with it; moto, behind `inbound up` and every test stack, did not: an agent
with a one-time password answered the challenge with a colleague's address (the admin's) and
moto set that colleague's password. The proxy does not rely on either: the session it hands
out carries an HMAC, under the reply secrets, over the session and the address it was issued
for, and a session answered with any other address never reaches Cognito.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_SEPARATOR = "~"  # not in base64url, so the last one is the proxy's
_MAC_BYTES = 16


def _mac(secret: bytes, address: str, session: str) -> str:
    message = b"\0".join((b"new-password", address.strip().lower().encode(), session.encode()))
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def bind(secret: bytes, address: str, session: str) -> str:
    """The session as the browser gets it: Cognito's, bound to `address`."""
    return f"{session}{_SEPARATOR}{_mac(secret, address, session)}"


def unbind(bound: str, address: str, secrets: tuple[bytes, ...]) -> str:
    """Cognito's session when `bound` was issued for `address` under one of `secrets`, else ""."""
    session, separator, mac = bound.rpartition(_SEPARATOR)
    if not separator or not session:
        return ""
    if any(hmac.compare_digest(mac, _mac(s, address, session)) for s in secrets):
        return session
    return ""
