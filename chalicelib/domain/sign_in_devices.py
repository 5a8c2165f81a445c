"""A browser that has signed in as an agent: its attempts for that agent are its own to count.

The per-address limit (sign_in_throttle) refuses every attempt once an address had ten in a
window, the right password too, so anyone who knows an agent's address could lock the agent
out with eleven wrong passwords a quarter of an hour, for as long as they cared to. A browser
that signed in as the agent before carries a device cookie (OWASP's "device cookies" answer to
that lockout): an HMAC, under the reply secrets, over a random id, the day it was issued and
the agent's address. Attempts that present a valid one for the address they name count against
that browser, not against the address, so a stranger's guesses no longer lock the agent's own
browser out; a new browser still meets the address's limit. The cookie names no address, is
HttpOnly and SameSite=Strict, and is good for DEVICE_DAYS from its issue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

COOKIE = "inbound_device"
DEVICE_DAYS = 30
_DAY = 24 * 3600
_MAC_BYTES = 16


def _mac(secret: bytes, device: str, issued_day: int, address: str) -> str:
    message = b"\0".join((b"sign-in-device", device.encode(), str(issued_day).encode(), address.encode()))
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def device_token(secret: bytes, device: str, address: str, now: float) -> str:
    """The cookie's value for `device` (a random id of URL-safe characters) signed in as `address`."""
    day = int(now) // _DAY
    return f"{device}.{day}.{_mac(secret, device, day, address.strip().lower())}"


def device_of(cookie_header: str, address: str, secrets: tuple[bytes, ...], now: float) -> str:
    """The device id the request's cookie proves signed in as `address` within DEVICE_DAYS, or ""."""
    address = address.strip().lower()
    for pair in cookie_header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name != COOKIE or not address:
            continue
        device, _, rest = value.partition(".")
        day, _, mac = rest.partition(".")
        if not (device and day.isdigit() and 0 <= int(now) // _DAY - int(day) < DEVICE_DAYS):
            continue
        if any(hmac.compare_digest(mac, _mac(s, device, int(day), address)) for s in secrets):
            return device
    return ""


def set_cookie(token: str, path: str) -> str:
    """The Set-Cookie value: sent back only to the console's own sign-in at `path` (and the
    routes under it), never to scripts. Without a Path the browser files the cookie under the
    directory of the URL that set it (RFC 6265 section 5.1.4), so the sign-in and the
    new-password answer (one directory deeper) left two copies, and every console request
    carried one."""
    return f"{COOKIE}={token}; Path={path}; Max-Age={DEVICE_DAYS * _DAY}; Secure; HttpOnly; SameSite=Strict"
