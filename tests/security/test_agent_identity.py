"""An agent's name on tickets and notes is theirs for good: no claim they can edit renames it.

GIVEN agents signed in to the staff API with moto's Cognito, WHEN one of them edits their own
`email` attribute with their own access token (Cognito's UpdateUserAttributes: no
administrator needed) and signs in again, or calls the API with an access token (which
carries `sub` and `username`, a UUID, but no email), THEN every note they write carries the
one name their first verified sign-in gave them; and an email Cognito says is not verified
names nobody (403 `unknown_agent`).

The naming rules are unit-tested in tests/unit/test_staff_identity.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.desk_helpers import new_ticket
from tests.support.staff_api import Api, pool_of
from tests.support.staff_auth import PASSWORD, sign_in


def _fresh(name: str) -> str:
    """An address no earlier test used: moto's Cognito keeps its users for the whole module."""
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def _cognito(api: Api) -> Any:
    return api.stack.client("cognito-idp")


def _tokens(api: Api, username: str) -> dict[str, str]:
    pool, client = pool_of(api.stack)
    result = _cognito(api).initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"]}


def _edit_own_email(api: Api, access_token: str, email: str, verified: bool) -> None:
    """The agent's own request. Cognito marks a changed email unverified until the code sent
    to it is entered; moto keeps the old flag, so the flag is set as AWS would leave it."""
    cognito = _cognito(api)
    username = cognito.get_user(AccessToken=access_token)["Username"]
    cognito.update_user_attributes(
        AccessToken=access_token, UserAttributes=[{"Name": "email", "Value": email}]
    )
    cognito.admin_update_user_attributes(
        UserPoolId=pool_of(api.stack)[0],
        Username=username,
        UserAttributes=[{"Name": "email_verified", "Value": str(verified).lower()}],
    )


def _note_author(api: Api, ticket: str, token: str) -> str:
    answer = api.post(f"/api/tickets/{ticket}/notes", {"text": "checked the invoice"}, token=token)
    assert answer.status_code == 201, answer.json_body
    return str(answer.json_body["sender"])


@pytest.mark.parametrize("verified", [True, False], ids=["new address verified", "new address unverified"])
def test_an_agent_who_edits_their_email_still_writes_notes_under_their_own_name(api, verified):
    ticket, ann, boss = new_ticket(api.stack), _fresh("ann"), _fresh("boss")
    tokens = sign_in(_cognito(api), *pool_of(api.stack), ann)
    assert _note_author(api, ticket, tokens["id"]) == ann
    _edit_own_email(api, tokens["access"], boss, verified)
    renamed = _tokens(api, boss)  # a pool that signs in by email: the new address signs in
    assert _note_author(api, ticket, renamed["id"]) == ann, "the note is signed with the edited email"
    messages = api.get(f"/api/tickets/{ticket}").json_body["messages"]
    assert {m["sender"] for m in messages if m["kind"] == "note"} == {ann}


def test_an_access_token_writes_notes_under_the_same_name_as_the_id_token(api):
    ticket, ann = new_ticket(api.stack), _fresh("ann")
    tokens = sign_in(_cognito(api), *pool_of(api.stack), ann)
    assert _note_author(api, ticket, tokens["id"]) == ann
    assert _note_author(api, ticket, tokens["access"]) == ann, "the access token names the agent by UUID"


def test_a_new_agent_who_sets_an_address_they_have_not_verified_takes_no_name(api):
    """Mallory, just added, edits her email to the CEO's before her first API request."""
    ticket, ceo = new_ticket(api.stack), _fresh("ceo")
    tokens = sign_in(_cognito(api), *pool_of(api.stack), _fresh("mallory"))
    _edit_own_email(api, tokens["access"], ceo, verified=False)
    answer = api.post(f"/api/tickets/{ticket}/notes", {"text": "approved"}, token=_tokens(api, ceo)["id"])
    assert answer.status_code == 403 and answer.json_body["error"] == "unknown_agent", answer.json_body
    assert "not verified" in answer.json_body["reason"]
    assert [m for m in api.get(f"/api/tickets/{ticket}").json_body["messages"] if m["kind"] == "note"] == []
