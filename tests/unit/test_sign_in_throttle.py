"""Sign-in attempt limits: per address, per client, fixed windows, a Retry-After that ends them."""

from __future__ import annotations

import pytest

from chalicelib.domain.sign_in_throttle import PER_ADDRESS, PER_CLIENT, WINDOW_SECONDS
from chalicelib.errors import SecretsUnavailable, TooManyAttempts
from chalicelib.services.sign_in_guard import SignInGuard
from tests.fakes.sign_in_attempts import FakeSignInAttempts

START = 1_800_000_000 // WINDOW_SECONDS * WINDOW_SECONDS


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guard(now: float = START + 100) -> tuple[SignInGuard, Clock]:
    clock = Clock(now)
    return SignInGuard(FakeSignInAttempts(), clock), clock


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
    attempts = FakeSignInAttempts()
    SignInGuard(attempts, Clock(START)).attempt("ann@example.com", "198.51.100.7")
    assert all("ann" not in key and "198." not in key for key, _ in attempts.counted)


def test_sign_ins_that_succeed_never_add_up_and_wrong_passwords_between_them_still_do():
    """An agent signing in all morning, or an office behind one address at 9:00, is never
    refused; the guesses between the sign-ins are held to the limit as before."""
    check, _ = guard()
    for n in range(PER_CLIENT * 2):
        check.signed_in(check.attempt("ann@example.com", "198.51.100.7"))
        check.signed_in(check.attempt(f"agent{n}@example.com", "198.51.100.7"))
    for n in range(PER_ADDRESS - 1):
        check.attempt("ann@example.com", f"203.0.113.{n}")  # wrong: never signed in
        check.signed_in(check.attempt("ann@example.com", "198.51.100.7"))
    check.attempt("ann@example.com", "203.0.113.99")  # the tenth wrong one
    with pytest.raises(TooManyAttempts, match="this address"):
        check.attempt("ann@example.com", "198.51.100.7")


def test_taking_back_an_attempt_made_in_the_last_window_leaves_the_new_one_alone():
    check, clock = guard(START + WINDOW_SECONDS - 1)
    late = check.attempt("ann@example.com", "198.51.100.7")
    clock.now = START + WINDOW_SECONDS
    for _ in range(PER_ADDRESS):
        check.attempt("ann@example.com", "198.51.100.7")
    check.signed_in(late)  # Cognito answered after the window turned: nothing of the new one
    with pytest.raises(TooManyAttempts, match="this address"):
        check.attempt("ann@example.com", "198.51.100.7")


def test_a_browser_that_signed_in_is_held_up_neither_by_its_address_nor_by_its_client():
    """A neighbour behind the same NAT address (on `inbound up`, every client is 127.0.0.1)
    sprays past the client's limit and guesses ann's password past the address's: ann's
    browser, with the device cookie her last sign-in set, signs in; without it, she waits."""
    check = SignInGuard(FakeSignInAttempts(), Clock(START + 100), secrets=lambda: (b"secret",))
    cookie = f"inbound_device={check.signed_in(check.attempt('ann@example.com', '198.51.100.7'))}"
    for _ in range(PER_ADDRESS):
        check.attempt("ann@example.com", "203.0.113.5")
    for n in range(PER_CLIENT):
        check.attempt(f"agent{n}@example.com", "198.51.100.7")

    with pytest.raises(TooManyAttempts):
        check.attempt("ann@example.com", "198.51.100.7")
    check.signed_in(check.attempt("ann@example.com", "198.51.100.7", cookie))
    for _ in range(PER_ADDRESS):  # her browser's own wrong passwords still meet a limit
        check.attempt("ann@example.com", "198.51.100.7", cookie)
    with pytest.raises(TooManyAttempts, match="this browser"):
        check.attempt("ann@example.com", "198.51.100.7", cookie)


def test_while_the_secrets_cannot_be_read_a_cookie_proves_nothing_and_the_address_limit_holds():
    """SSM throttled or out with nothing kept (SecretsUnavailable from the reader): sign-in
    goes on without the device cookie's relief. Ann's browser, with the cookie her last
    sign-in set, meets the address's limit like anyone's; she still signs in below it (no new
    cookie: the browser keeps its own); and the new-password challenge, whose session binding
    needs the secrets, waits (the proxy's 503) rather than hand out a session for any address."""
    out = [False]

    def secrets() -> tuple[bytes, ...]:
        if out[0]:
            raise SecretsUnavailable("SSM throttled", 15)
        return (b"secret",)

    check = SignInGuard(FakeSignInAttempts(), Clock(START + 100), secrets=secrets)
    cookie = f"inbound_device={check.signed_in(check.attempt('ann@example.com', '198.51.100.7'))}"
    out[0] = True

    assert check.signed_in(check.attempt("ann@example.com", "198.51.100.7", cookie)) == ""
    for _ in range(PER_ADDRESS):
        check.attempt("ann@example.com", "203.0.113.5", cookie)  # a guesser holding her cookie
    with pytest.raises(TooManyAttempts, match="this address"):
        check.attempt("ann@example.com", "198.51.100.7", cookie)
    with pytest.raises(SecretsUnavailable):
        check.bound_session("ann@example.com", "cognito-session")
    with pytest.raises(SecretsUnavailable):
        check.challenge_session("ann@example.com", "bound-session")


def test_the_limits_are_the_ones_security_md_promises():
    """10 per address and 60 per client in 15 minutes (SECURITY.md): the tests above count up
    to whatever the module says, so a limit raised by mistake would pass them all."""
    assert (PER_ADDRESS, PER_CLIENT, WINDOW_SECONDS) == (10, 60, 15 * 60)
