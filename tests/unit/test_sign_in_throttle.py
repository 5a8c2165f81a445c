"""Sign-in attempt limits: per address, per client, fixed windows, a Retry-After that ends them."""

from __future__ import annotations

from collections import Counter as Tally

import pytest

from chalicelib.domain.sign_in_throttle import PER_ADDRESS, PER_CLIENT, WINDOW_SECONDS, Counter
from chalicelib.errors import TooManyAttempts
from chalicelib.services.sign_in_guard import SignInGuard

START = 1_800_000_000 // WINDOW_SECONDS * WINDOW_SECONDS


class Attempts:
    """The counter store in memory: one count per (key, window)."""

    def __init__(self) -> None:
        self.counts: Tally[tuple[str, int]] = Tally()

    def add(self, counter: Counter) -> int:
        self.counts[counter.key, counter.window_start] += 1
        return self.counts[counter.key, counter.window_start]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guard(now: float = START + 100) -> tuple[SignInGuard, Clock]:
    clock = Clock(now)
    return SignInGuard(Attempts(), clock), clock


def test_an_address_gets_its_limit_then_waits_for_the_end_of_the_window_from_any_client():
    check, _ = guard()
    for n in range(PER_ADDRESS):
        check.attempt("ann@example.com", f"198.51.100.{n}")
    with pytest.raises(TooManyAttempts, match="this address") as refused:
        check.attempt("ANN@example.com ", "203.0.113.9")
    assert refused.value.retry_after == WINDOW_SECONDS - 100


def test_a_client_gets_its_limit_over_any_addresses_and_refreshes():
    check, _ = guard()
    for n in range(PER_CLIENT):
        check.attempt(f"agent{n}@example.com", "198.51.100.7")
    with pytest.raises(TooManyAttempts, match="this client"):
        check.attempt("", "198.51.100.7")
    check.attempt("someone@example.com", "198.51.100.8")  # another client is not held up


def test_the_next_window_lets_attempts_through_again():
    check, clock = guard()
    for _ in range(PER_ADDRESS):
        check.attempt("ann@example.com", "198.51.100.7")
    with pytest.raises(TooManyAttempts):
        check.attempt("ann@example.com", "198.51.100.7")
    clock.now = START + WINDOW_SECONDS
    check.attempt("ann@example.com", "198.51.100.7")


def test_no_address_or_ip_is_kept_in_the_clear():
    attempts = Attempts()
    SignInGuard(attempts, Clock(START)).attempt("ann@example.com", "198.51.100.7")
    assert all("ann" not in key and "198." not in key for key, _ in attempts.counts)
