"""The console's sign-in proxy asks here before it asks Cognito.

Every attempt counts the moment it is made, before Cognito answers, so a burst of
concurrent guesses cannot slip past the limit; an attempt that signed in is then taken back.
What the limits hold is wrong passwords: an agent who signs in twenty times a morning, or an
office of a hundred behind one NAT address at 9:00, is never refused for it. A browser that
signed in as an agent counts its attempts for that agent apart from everyone else's
(domain/sign_in_devices.py), so guesses at an agent's address do not lock the agent out.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.domain import sign_in_challenges, sign_in_devices
from chalicelib.domain.frozen import frozen
from chalicelib.domain.sign_in_throttle import Counter, counters, retry_after
from chalicelib.errors import SecretsUnavailable, TooManyAttempts

if TYPE_CHECKING:
    from chalicelib.services.ports.records import ReplySecrets
    from chalicelib.services.ports.tickets import AttemptCounters


@frozen
class Attempt:
    """The counters one attempt added to, to take back if it signs in."""

    counted: tuple[Counter, ...]
    address: str = ""
    device: str = ""  # the browser's id when its cookie proved it signed in as `address`


def _no_secrets() -> tuple[bytes, ...]:
    return ()


class SignInGuard:
    def __init__(
        self,
        attempts: AttemptCounters,
        clock: Callable[[], float] = time.time,
        *,
        secrets: ReplySecrets = _no_secrets,
    ) -> None:
        self.attempts = attempts
        self.clock = clock
        self.secrets = secrets

    def attempt(self, address: str, client: str, cookies: str = "") -> Attempt:
        """Count one attempt for `address` (may be "") from `client`, whose request carried
        `cookies` (its Cookie header); TooManyAttempts when either has had too many in this
        window. A refused attempt counts too."""
        now = self.clock()
        keys = self._keys() if cookies and address.strip() else ()
        device = sign_in_devices.device_of(cookies, address, keys, now) if keys else ""
        counted = counters(address, client, now, device)
        waits = [(retry_after(c, self.attempts.add(c), now), c.what) for c in counted]
        wait, what = max(waits)
        if wait:
            raise TooManyAttempts(f"too many sign-in attempts from {what}; try again in {wait} s", wait)
        return Attempt(tuple(counted), address.strip().lower(), device)

    def signed_in(self, attempt: Attempt) -> str:
        """The attempt was right (tokens, or the new-password challenge): it no longer counts.
        The device cookie's value for the browser that made it ("" without an address)."""
        for counter in attempt.counted:
            self.attempts.take_back(counter)
        keys = self._keys() if attempt.address else ()
        if not keys:  # the browser keeps the cookie it has
            return ""
        device = attempt.device or secrets.token_urlsafe(16)
        return sign_in_devices.device_token(keys[0], device, attempt.address, self.clock())

    def _keys(self) -> tuple[bytes, ...]:
        """The reply secrets the device cookie is signed under, or none while they cannot be
        read (SSM throttled or out, nothing kept): then no cookie proves a browser, so every
        attempt meets the address's and the client's limits, the stricter ones. An outage
        never lifts a limit, it only takes away the cookie's relief."""
        try:
            return self.secrets()
        except SecretsUnavailable:
            return ()

    def bound_session(self, address: str, session: str) -> str:
        """Cognito's new-password session as the browser gets it: bound to `address`.
        SecretsUnavailable (a 503) while the secrets cannot be read: an unbound session
        would answer for any address, so the challenge waits rather than go without."""
        keys = self.secrets()
        return sign_in_challenges.bind(keys[0], address, session) if keys else session

    def challenge_session(self, address: str, bound: str) -> str:
        """Cognito's session from one the browser sends back with `address`; "" when it was not
        issued for that address (or is no session of the proxy's). SecretsUnavailable as above."""
        keys = self.secrets()
        return sign_in_challenges.unbind(bound, address, keys) if keys else bound
