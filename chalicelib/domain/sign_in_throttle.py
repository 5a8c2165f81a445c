"""How many sign-in attempts the console's proxy lets through, per address and per client.

Cognito has its own limits (per user pool and account, and a lockout after repeated wrong
passwords), but they protect Cognito, not one agent's password: the proxy counts too.
Fixed windows: every attempt in a window adds one to the address's counter and the
client's; once either is over its limit, attempts are refused until the window ends.
Counters are keyed by a digest, so no address or IP is stored in the clear.
"""

from __future__ import annotations

import hashlib

from chalicelib.domain.frozen import frozen

WINDOW_SECONDS = 15 * 60
PER_ADDRESS = 10  # an agent mistyping a password a few times stays far below
PER_CLIENT = 60  # an office behind one NAT address signing in at 9:00


@frozen
class Counter:
    """One counter: its key, the window it counts and its limit."""

    key: str
    window_start: int
    limit: int
    what: str  # said in the refusal: "this address" or "this client"

    @property
    def window_end(self) -> int:
        return self.window_start + WINDOW_SECONDS


def counters(address: str, client: str, now: float, device: str = "") -> list[Counter]:
    """The counters one attempt adds to: the client's, and the address's when one is given.
    From a browser that signed in as that address before (`device`, sign_in_devices), that
    browser's alone: a stranger's guesses at the address, or a neighbour's behind the same
    NAT address (every client of `inbound up` is 127.0.0.1), do not lock it out, and its
    own wrong passwords still meet a limit."""
    start = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    if address.strip() and device:
        return [Counter(f"device#{_digest(device)}", start, PER_ADDRESS, "this browser")]
    found = [Counter(f"client#{_digest(client)}", start, PER_CLIENT, "this client")]
    if address.strip():
        found.append(
            Counter(f"address#{_digest(address.strip().lower())}", start, PER_ADDRESS, "this address")
        )
    return found


def retry_after(counter: Counter, count: int, now: float) -> int:
    """Seconds until `counter` lets attempts through again, or 0 when it does now."""
    if count <= counter.limit:
        return 0
    return max(1, counter.window_end - int(now))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
