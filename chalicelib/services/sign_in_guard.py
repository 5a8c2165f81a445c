"""The console's sign-in proxy asks here before it asks Cognito.

Every attempt counts the moment it is made, before Cognito answers, so a burst of
concurrent guesses cannot slip past the limit; an attempt that signed in is then taken back.
What the limits hold is wrong passwords: an agent who signs in twenty times a morning, or an
office of a hundred behind one NAT address at 9:00, is never refused for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.domain.frozen import frozen
from chalicelib.domain.sign_in_throttle import Counter, counters, retry_after
from chalicelib.errors import TooManyAttempts

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import AttemptCounters


@frozen
class Attempt:
    """The counters one attempt added to, to take back if it signs in."""

    counted: tuple[Counter, ...]


class SignInGuard:
    def __init__(self, attempts: AttemptCounters, clock: Callable[[], float] = time.time) -> None:
        self.attempts = attempts
        self.clock = clock

    def attempt(self, address: str, client: str) -> Attempt:
        """Count one attempt for `address` (may be "") from `client`; TooManyAttempts when
        either has had too many in this window. A refused attempt counts too."""
        now = self.clock()
        counted = counters(address, client, now)
        waits = [(retry_after(c, self.attempts.add(c), now), c.what) for c in counted]
        wait, what = max(waits)
        if wait:
            raise TooManyAttempts(f"too many sign-in attempts from {what}; try again in {wait} s", wait)
        return Attempt(tuple(counted))

    def signed_in(self, attempt: Attempt) -> None:
        """The attempt was right (tokens, or the new-password challenge): it no longer counts."""
        for counter in attempt.counted:
            self.attempts.take_back(counter)
