"""Password guessing and spraying through the console's sign-in proxy, and a mangled challenge.

GIVEN the app on the embedded stack with moto's Cognito behind the proxy, WHEN one client
sends wrong passwords for one agent, or one password for many addresses, THEN after the
limit every further attempt (the right password included) is a 429 `rate_limited` with a
Retry-After no longer than the window, and it never reaches Cognito. WHEN an agent signs
in with the right password more often than either limit, THEN none is refused: only wrong
passwords add up (the shared `inbound up` of the browser tests signed its admin in more
than ten times in a quarter of an hour and was refused, 8 December). WHEN the
NEW_PASSWORD_REQUIRED answer carries a session token cut short or padded out, THEN it is a
400 saying what to do, not a 500.

The counting rules are unit-tested in tests/unit/test_sign_in_throttle.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.sign_in_throttle import PER_ADDRESS, PER_CLIENT, WINDOW_SECONDS
from chalicelib.wiring import services
from tests.support.staff_api import ANN, BOB, Api, pool_of, ssm_outage
from tests.support.staff_auth import PASSWORD, sign_in


def _post(api: Api, path: str, body: dict) -> Any:
    return api.call("POST", path, body, token="")


def _assert_throttled(answer: Any, what: str) -> None:
    assert answer.status_code == 429, (answer.status_code, answer.json_body)
    assert answer.json_body["error"] == "rate_limited" and what in answer.json_body["reason"]
    assert 0 < int(answer.headers["Retry-After"]) <= WINDOW_SECONDS
    assert answer.headers["Cache-Control"] == "no-store"


def test_guessing_one_agents_password_is_stopped_and_the_right_one_waits_too(api, cognito_calls):
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)
    for n in range(PER_ADDRESS):
        assert _post(api, "/console/login", {"email": ANN, "password": f"Guess-{n}-x"}).status_code == 401
    asked = len(cognito_calls)
    _assert_throttled(_post(api, "/console/login", {"email": ANN, "password": "Guess-again"}), "this address")
    _assert_throttled(
        _post(api, "/console/login", {"email": f" {ANN.upper()}", "password": PASSWORD}), "address"
    )
    assert len(cognito_calls) == asked, "a throttled attempt still reached Cognito"


def _posed_as(api: Api, path: str, body: dict, n: int) -> Any:
    """A POST whose headers claim it was forwarded for another address each time."""
    forwarded = {
        "X-Forwarded-For": f"203.0.113.{n}",
        "X-Real-IP": f"203.0.113.{n}",
        "Forwarded": f"for=198.51.100.{n}",
    }
    headers = {"Content-Type": "application/json", **forwarded}
    return api.client.http.post(path, headers=headers, body=json.dumps(body))


def test_spraying_one_password_over_many_addresses_is_stopped_per_client(api, cognito_calls):
    """The client is the connection's address (API Gateway's sourceIp): headers that claim
    to have forwarded each attempt for another address change nothing."""
    for n in range(PER_CLIENT):
        body = {"email": f"agent{n}@example.com", "password": "Spring-2026!"}
        answer = _posed_as(api, "/console/login", body, n)
        assert answer.status_code == 401, answer.json_body
    asked = len(cognito_calls)
    _assert_throttled(
        _post(api, "/console/login", {"email": "new@example.com", "password": "x"}), "this client"
    )
    _assert_throttled(_post(api, "/console/login/refresh", {"refresh_token": "stolen"}), "this client")
    assert len(cognito_calls) == asked


def test_right_passwords_never_add_up_but_the_guesses_between_them_do(api):
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)
    for _ in range(PER_CLIENT + 1):
        answer = _post(api, "/console/login", {"email": ANN, "password": PASSWORD})
        assert answer.status_code == 200, answer.json_body
    for n in range(PER_ADDRESS - 1):
        assert _post(api, "/console/login", {"email": ANN, "password": f"Guess-{n}-x"}).status_code == 401
        assert _post(api, "/console/login", {"email": ANN, "password": PASSWORD}).status_code == 200
    assert _post(api, "/console/login", {"email": ANN, "password": "Guess-last-x"}).status_code == 401
    _assert_throttled(_post(api, "/console/login", {"email": ANN, "password": PASSWORD}), "this address")


@pytest.mark.parametrize("token", ["", "  "], ids=["empty", "blank"])
def test_an_empty_refresh_token_is_refused_as_a_wrong_one_not_a_502(api, token):
    wrong = _post(api, "/console/login/refresh", {"refresh_token": "not-a-token"})
    empty = _post(api, "/console/login/refresh", {"refresh_token": token})
    assert (
        (empty.status_code, empty.json_body)
        == (wrong.status_code, wrong.json_body)
        == (
            401,
            {"error": "unauthorized", "reason": "wrong email or password"},
        )
    )


@pytest.mark.parametrize("session", ["abc", "", "x" * 19, "x" * 2049], ids=["3", "empty", "19", "2049"])
def test_a_mangled_new_password_session_is_a_clear_400(api, session):
    answer = _post(
        api,
        "/console/login/new-password",
        {"email": "bo@example.com", "session": session, "new_password": "Mine-now-and-9-long"},
    )
    assert answer.status_code == 400, (answer.status_code, answer.body[:200])
    assert answer.json_body == {
        "error": "invalid_request",
        "reason": "the sign-in session is malformed; sign in again with the one-time password",
    }


def _login(api: Api, email: str, password: str, cookie: str = "") -> Any:
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    body = json.dumps({"email": email, "password": password})
    return api.client.http.post("/console/login", headers=headers, body=body)


def test_a_strangers_guesses_do_not_lock_out_the_browser_the_agent_signed_in_with(api):
    """Attack: anyone who knows an agent's address (a forward's Reply-To names it) sends eleven
    wrong passwords a quarter of an hour and the agent is refused, right password and all, for
    as long as they care to. Her browser's device cookie from an earlier sign-in keeps her
    attempts apart; a browser without one, or with another agent's, still meets the limit."""
    cognito, (pool, client) = api.stack.client("cognito-idp"), pool_of(api.stack)
    sign_in(cognito, pool, client, ANN), sign_in(cognito, pool, client, BOB)
    first = _login(api, ANN, PASSWORD)
    assert first.status_code == 200
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/console/login"} <= {
        p.strip() for p in first.headers["Set-Cookie"].split(";")
    }
    anns_browser = first.headers["Set-Cookie"].split(";")[0]
    bobs_browser = _login(api, BOB, PASSWORD).headers["Set-Cookie"].split(";")[0]

    for n in range(PER_ADDRESS + 3):  # mallory, without a cookie, and with bob's (her own account)
        assert _login(api, ANN, f"Guess-{n}-x", bobs_browser if n % 2 else "").status_code in (401, 429)

    _assert_throttled(_login(api, ANN, PASSWORD), "this address")
    _assert_throttled(_login(api, ANN, PASSWORD, bobs_browser), "this address")
    _assert_throttled(_login(api, ANN, PASSWORD, anns_browser.replace(".", "x.", 1)), "this address")
    again = _login(api, ANN, PASSWORD, anns_browser)
    assert again.status_code == 200, again.json_body
    for n in range(PER_ADDRESS):  # her browser has a limit of its own for wrong passwords
        assert _login(api, ANN, f"Typo-{n}-x", anns_browser).status_code == 401
    _assert_throttled(_login(api, ANN, PASSWORD, anns_browser), "this browser")


def test_guesses_while_ssm_is_out_still_meet_the_address_limit(api):
    """Attack: the device cookie lifts the address's limit for a browser that signed in as the
    agent, and proving one takes the reply secrets from SSM. Whoever guesses while SSM is
    throttled or out (in a container that has not read them), holding a copy of the agent's
    cookie or any cookie at all, must not be counted any more leniently than a browser
    without one: no cookie proves anything then, every attempt counts for the address, and
    after ten the right password waits too, never reaching Cognito."""
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)
    anns_browser = _login(api, ANN, PASSWORD).headers["Set-Cookie"].split(";")[0]
    ssm_outage()
    cognito_calls: list[str] = []  # the new container's own client
    services().console_sign_in._cognito.meta.events.register(
        "before-call.cognito-idp", lambda model, **_: cognito_calls.append(model.name)
    )

    for n in range(PER_ADDRESS):
        answer = _login(api, ANN, f"Guess-{n}-x", anns_browser if n % 2 else "inbound_device=x.y.z")
        assert answer.status_code == 401, (answer.status_code, answer.body[:200])
    asked = len(cognito_calls)
    _assert_throttled(_login(api, ANN, PASSWORD, anns_browser), "this address")
    assert len(cognito_calls) == asked, "a throttled attempt still reached Cognito"


def test_a_new_password_session_answers_for_the_address_that_began_it_alone(api):
    """Attack: mallory, a new agent with a one-time password, starts the new-password challenge
    and answers it with ann's address (an admin's, say) and a password of her choosing. moto's
    Cognito (every test stack and `inbound up`) took the USERNAME and set ann's password; the
    proxy now binds the session it hands out to the address it was issued for."""
    cognito, (pool, client) = api.stack.client("cognito-idp"), pool_of(api.stack)
    sign_in(cognito, pool, client, ANN)
    mallory, one_time = "mallory@example.com", "One-time-pass-9!"
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=mallory,
        TemporaryPassword=one_time,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": mallory}, {"Name": "email_verified", "Value": "true"}],
    )
    try:
        challenge = _login(api, mallory, one_time).json_body
        assert challenge["challenge"] == "NEW_PASSWORD_REQUIRED"
        taken = {"email": ANN, "session": challenge["session"], "new_password": "Mallory-owns-it-1!"}

        answer = _post(api, "/console/login/new-password", taken)

        assert answer.status_code == 400, answer.json_body
        assert _login(api, ANN, "Mallory-owns-it-1!").status_code == 401
        assert _login(api, ANN, PASSWORD).status_code == 200, "ann's password is hers"
        mine = {**taken, "email": mallory, "new_password": "Mallory-mine-now-1!"}
        assert _post(api, "/console/login/new-password", mine).status_code == 200, "her own works"
    finally:
        cognito.admin_delete_user(UserPoolId=pool, Username=mallory)  # moto's pool outlives the test
