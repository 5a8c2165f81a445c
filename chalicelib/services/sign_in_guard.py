"""The console's sign-in proxy asks here before it asks Cognito."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.domain.sign_in_throttle import counters, retry_after
from chalicelib.errors import TooManyAttempts

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import AttemptCounters


class SignInGuard:
    def __init__(self, attempts: AttemptCounters, clock: Callable[[], float] = time.time) -> None:
        self.attempts = attempts
        self.clock = clock

    def attempt(self, address: str, client: str) -> None:
        """Count one attempt for `address` (may be "") from `client`; TooManyAttempts when
        either has had too many in this window. A refused attempt counts too."""
        now = self.clock()
        waits = [(retry_after(c, self.attempts.add(c), now), c.what) for c in counters(address, client, now)]
        wait, what = max(waits)
        if wait:
            raise TooManyAttempts(f"too many sign-in attempts from {what}; try again in {wait} s", wait)
