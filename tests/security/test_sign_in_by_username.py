"""Guessing by the Cognito username instead of the address, through the console's sign-in proxy.

A pool with UsernameAttributes=email gives each user a generated username (a UUID, the
tokens' `username` and `sub`), and Cognito's InitiateAuth signs in with either that or the
email address. The proxy counts attempts per address, as typed: a guesser who knows an
agent's UUID (it is in every ID token the agent's browser holds, and in the audit of a
ticket's history tools) got a second allowance of guesses beside the address's, and a
third once the first two ran out on another client. GIVEN an agent whose address has had
its wrong guesses, WHEN the same agent's username is sent as `email`, THEN the proxy
refuses it as no address (400 invalid_request) and Cognito is never asked.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.sign_in_throttle import PER_ADDRESS
from tests.support.staff_api import ANN, Api, pool_of
from tests.support.staff_auth import PASSWORD, sign_in


def _post(api: Api, path: str, body: dict) -> Any:
    return api.call("POST", path, body, token="")


def test_the_username_is_no_second_allowance_of_guesses(api, cognito_calls):
    cognito = api.stack.client("cognito-idp")
    pool_id, _ = pool_of(api.stack)
    sign_in(cognito, *pool_of(api.stack), ANN)
    username = cognito.admin_get_user(UserPoolId=pool_id, Username=ANN)["Username"]
    assert "@" not in username  # Cognito's own name for ann: what InitiateAuth also takes

    for n in range(PER_ADDRESS):
        assert _post(api, "/console/login", {"email": ANN, "password": f"Guess-{n}-x"}).status_code == 401
    asked = len(cognito_calls)
    for password in ("Guess-by-name", PASSWORD):
        answer = _post(api, "/console/login", {"email": username, "password": password})
        assert answer.status_code == 400, (answer.status_code, answer.json_body)
        assert (
            answer.json_body["error"] == "invalid_request" and "email address" in answer.json_body["reason"]
        )
    answer = _post(
        api, "/console/login/new-password", {"email": username, "session": "x", "new_password": "y"}
    )
    assert answer.status_code == 400 and answer.json_body["error"] == "invalid_request"
    assert len(cognito_calls) == asked, "a username reached Cognito"
