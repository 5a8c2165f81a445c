"""moto's Cognito as strict as Cognito about whose new-password challenge is answered
(inbound/local/moto_cognito.py): the session answers for the user it was issued to."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.staff_api import ANN, pool_of
from tests.support.staff_auth import PASSWORD, sign_in

MALLORY, ONE_TIME = "mallory@example.com", "One-time-pass-9!"


@pytest.fixture
def challenge(stack):
    """Mallory's NEW_PASSWORD_REQUIRED session; ann signed in with her own password."""
    cognito, (pool, client) = stack.client("cognito-idp"), pool_of(stack)
    sign_in(cognito, pool, client, ANN)
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=MALLORY,
        TemporaryPassword=ONE_TIME,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": MALLORY}, {"Name": "email_verified", "Value": "true"}],
    )
    started = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": MALLORY, "PASSWORD": ONE_TIME},
    )
    yield cognito, pool, client, started["Session"]
    cognito.admin_delete_user(UserPoolId=pool, Username=MALLORY)  # moto's pool outlives the stack


def _answer(cognito, client: str, session: str, username: str, password: str) -> dict:
    return cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=session,
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password},
    )


def test_a_session_answered_with_another_users_name_is_refused_and_changes_nothing(challenge):
    cognito, _, client, session = challenge

    with pytest.raises(ClientError) as refused:
        _answer(cognito, client, session, ANN, "Mallory-owns-it-1!")

    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    signed = cognito.initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": ANN, "PASSWORD": PASSWORD}
    )
    assert "AuthenticationResult" in signed


def test_the_user_it_was_issued_to_answers_it_by_address_or_username(challenge):
    cognito, pool, client, session = challenge
    username = cognito.admin_get_user(UserPoolId=pool, Username=MALLORY)["Username"]

    answered = _answer(cognito, client, session, username, "Mallory-mine-now-1!")

    assert "AuthenticationResult" in answered
