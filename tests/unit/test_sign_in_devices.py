"""Device cookies (which browser signed in as which agent, and for how long it says so) and
the new-password session bound to its address."""

from __future__ import annotations

from chalicelib.domain.sign_in_challenges import bind, unbind
from chalicelib.domain.sign_in_devices import COOKIE, DEVICE_DAYS, device_of, device_token

NOW = 1_800_000_000.0
DAY = 24 * 3600
OLD, NEW = b"old secret", b"new secret"


def cookie(token: str) -> str:
    return f"theme=dark; {COOKIE}={token}; other=1"


def test_a_cookie_names_its_device_for_its_address_alone():
    token = device_token(NEW, "dev1", " Ann@Example.com", NOW)
    assert device_of(cookie(token), "ann@example.com", (NEW,), NOW) == "dev1"
    assert device_of(cookie(token), "bob@example.com", (NEW,), NOW) == ""
    assert "ann" not in token.lower(), "the cookie names no address"


def test_a_cookie_is_good_for_its_days_and_under_a_rotated_secret():
    token = device_token(OLD, "dev1", "ann@example.com", NOW)
    assert device_of(cookie(token), "ann@example.com", (NEW, OLD), NOW + (DEVICE_DAYS - 1) * DAY) == "dev1"
    assert device_of(cookie(token), "ann@example.com", (NEW, OLD), NOW + DEVICE_DAYS * DAY) == ""
    assert device_of(cookie(token), "ann@example.com", (NEW,), NOW) == ""


def test_altered_or_malformed_cookies_name_nobody():
    device, day, mac = device_token(NEW, "dev1", "ann@example.com", NOW).split(".")
    for forged in (
        f"dev2.{day}.{mac}",
        f"{device}.{int(day) + 1}.{mac}",
        f"{device}.{day}.{mac[:-1]}{'B' if mac.endswith('A') else 'A'}",
        f"{device}.{day}",
        "",
        "...",
        f"{device}.-1.{mac}",
    ):
        assert device_of(cookie(forged), "ann@example.com", (NEW,), NOW) == "", forged
    assert device_of("", "ann@example.com", (NEW,), NOW) == ""


def test_a_new_password_session_comes_back_only_with_the_address_it_was_issued_for():
    cognitos = "AYABeC-_x~y=" * 3  # whatever Cognito's session holds, a '~' included
    bound = bind(OLD, "Ann@example.com ", cognitos)
    assert unbind(bound, "ann@example.com", (NEW, OLD)) == cognitos
    assert unbind(bound, "mallory@example.com", (NEW, OLD)) == ""
    assert unbind(bound, "ann@example.com", (NEW,)) == ""
    assert unbind(cognitos, "ann@example.com", (NEW, OLD)) == ""  # Cognito's own, unbound
    assert unbind(bound[:-1], "ann@example.com", (NEW, OLD)) == ""
    assert unbind("", "ann@example.com", (NEW, OLD)) == ""
