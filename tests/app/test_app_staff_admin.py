"""Staff administration over the API: admins only (Cognito group `admin`), invitations
through the outbound guard, and never without an admin."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from botocore.exceptions import ClientError

from chalicelib.wiring import services
from tests.support.staff_api import ANN, BOB, Api, pool_of, sent_mail, token_in_groups
from tests.support.staff_auth import sign_in


def _listed(api: Api, token: str) -> dict[str, dict]:
    answer = api.get("/api/staff", token=token)
    assert answer.status_code == 200, answer.json_body
    return {m["email"]: m for m in answer.json_body["staff"]}


def test_an_agent_is_refused_every_staff_route(api):
    token = token_in_groups(api, ANN, "agent")
    before = _listed(api, token_in_groups(api, BOB, "admin"))
    for method, path, body in (
        ("GET", "/api/staff", None),
        ("POST", "/api/staff", {"email": "mallory@example.com", "role": "admin"}),
        ("PATCH", f"/api/staff/{BOB}", {"enabled": False}),
        ("PATCH", f"/api/staff/{ANN}", {"role": "admin"}),
        ("DELETE", f"/api/staff/{BOB}", None),
    ):
        answer = api.call(method, path, body, token=token)
        assert (answer.status_code, answer.json_body["error"]) == (403, "forbidden"), (method, path)
    no_group = token_in_groups(api, ANN)
    assert api.get("/api/staff", token=no_group).status_code == 403
    assert _listed(api, token_in_groups(api, BOB, "admin")) == before, "nothing changed"


def test_an_admin_invites_disables_enables_and_removes(api):
    admin = token_in_groups(api, ANN, "admin")
    mail = sent_mail()
    invited = api.post("/api/staff", {"email": "Newbie@Staff.test"}, token=admin)
    assert invited.status_code == 201, invited.json_body
    assert invited.json_body | {"created": None} == {
        "email": "newbie@staff.test",
        "status": "invited",
        "enabled": True,
        "role": "agent",
        "cognito_status": "FORCE_CHANGE_PASSWORD",
        "created": None,
    }
    # Our own mail, through the guard, carries the one-time password (Cognito's is suppressed).
    assert [m["Destinations"] for m in mail] == [["newbie@staff.test"]]
    invitation = message_from_bytes(mail[0]["RawMessage"]["Data"], policy=policy.default)
    assert invitation["Subject"] == "Your invitation to the support console"
    text = invitation.get_body(("plain",)).get_content()
    password = text.split("with this one-time password, then choose your own:")[1].split()[0]
    assert f"{services().settings.public_url}/" in text
    cognito, client = api.stack.client("cognito-idp"), pool_of(api.stack)[1]
    challenge = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "newbie@staff.test", "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    again = api.post("/api/staff", {"email": "newbie@staff.test"}, token=admin)
    assert again.status_code == 409 and len(mail) == 1

    services().staff_admin.roster.record("sub-newbie", "newbie@staff.test")  # their first sign-in
    assert "newbie@staff.test" in api.get("/api/agents", token=admin).json_body["agents"]
    disabled = api.patch("/api/staff/newbie@staff.test", {"enabled": False}, token=admin)
    assert disabled.status_code == 200 and disabled.json_body["status"] == "disabled"
    assert "newbie@staff.test" not in api.get("/api/agents", token=admin).json_body["agents"]
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        cognito.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "newbie@staff.test", "PASSWORD": password},
        )
    enabled = api.patch("/api/staff/newbie@staff.test", {"enabled": True}, token=admin)
    assert enabled.json_body["enabled"] is True
    assert "newbie@staff.test" in api.get("/api/agents", token=admin).json_body["agents"]
    promoted = api.patch("/api/staff/newbie@staff.test", {"role": "admin"}, token=admin)
    assert promoted.json_body["role"] == "admin"
    assert api.patch("/api/staff/newbie@staff.test", {"role": "owner"}, token=admin).status_code == 400
    assert api.call("DELETE", "/api/staff/newbie@staff.test", token=admin).status_code == 204
    assert "newbie@staff.test" not in _listed(api, admin)
    assert "newbie@staff.test" not in api.get("/api/agents", token=admin).json_body["agents"]
    assert api.call("DELETE", "/api/staff/nobody@example.com", token=admin).status_code == 400


def test_the_last_admin_cannot_demote_disable_or_remove_themselves(api):
    admin = token_in_groups(api, ANN, "admin")
    token_in_groups(api, BOB, "agent")
    for method, body in (("PATCH", {"role": "agent"}), ("PATCH", {"enabled": False}), ("DELETE", None)):
        refused = api.call(method, f"/api/staff/{ANN}", body, token=admin)
        assert refused.status_code == 409 and "last admin" in refused.json_body["reason"], method
    assert _listed(api, admin)[ANN]["role"] == "admin" and _listed(api, admin)[ANN]["enabled"]
    assert api.patch(f"/api/staff/{BOB}", {"role": "admin"}, token=admin).status_code == 200
    assert api.patch(f"/api/staff/{ANN}", {"role": "agent"}, token=admin).json_body["role"] == "agent"


def test_an_invitation_to_a_suppressed_address_is_refused_and_nobody_is_made(api):
    admin = token_in_groups(api, ANN, "admin")
    services().suppression.import_list("bounced-staff@staff.test,BOUNCE", by="test")
    mail = sent_mail()
    refused = api.post("/api/staff", {"email": "bounced-staff@staff.test"}, token=admin)
    assert (refused.status_code, refused.json_body["error"]) == (409, "suppressed")
    assert mail == [] and "bounced-staff@staff.test" not in _listed(api, admin)
    assert api.post("/api/staff", {"email": "not an address"}, token=admin).status_code == 400


def test_an_invitation_this_desk_would_receive_is_refused_the_password_would_land_in_the_queue(api):
    admin = token_in_groups(api, ANN, "admin")
    mail = sent_mail()
    refused = api.post("/api/staff", {"email": "cleo@example.com"}, token=admin)
    assert refused.status_code == 400 and "inbound staff add" in refused.json_body["reason"]
    assert mail == [] and "cleo@example.com" not in _listed(api, admin)


def test_a_disabled_agents_token_is_refused_with_agent_disabled_and_cannot_be_refreshed(api):
    """Disable takes effect within the identity check's bound (services/staff_identities.py),
    not when the token expires: a container whose check is older (here: a new one) refuses
    the still-valid token with 401 `agent_disabled`, which the console answers by trying
    its refresh token, which Cognito's global sign-out killed, and signing out."""
    admin = token_in_groups(api, ANN, "admin")
    cognito, (pool, client) = api.stack.client("cognito-idp"), pool_of(api.stack)
    bob = sign_in(cognito, pool, client, BOB)
    assert api.get("/api/tickets", token=bob["id"]).status_code == 200
    assert api.post("/console/login/refresh", {"refresh_token": bob["refresh"]}, token="").status_code == 200

    assert api.patch(f"/api/staff/{BOB}", {"enabled": False}, token=admin).status_code == 200
    services.cache_clear()  # another container, or this one ENABLED_FOR seconds later

    refused = api.get("/api/tickets", token=bob["id"])
    assert (refused.status_code, refused.json_body["error"]) == (401, "agent_disabled")
    # The console's next step on a 401 (console.js api()): its refresh, which ends in sign-in.
    refresh = api.post("/console/login/refresh", {"refresh_token": bob["refresh"]}, token="")
    assert (refresh.status_code, refresh.json_body["error"]) == (401, "unauthorized")
    assert api.get("/api/tickets", token=admin).status_code == 200, "the admin works on"


def test_an_invitation_to_a_unicode_domain_is_sent_to_its_punycode_and_a_utf8_local_part_is_refused(api):
    admin = token_in_groups(api, ANN, "admin")
    mail = sent_mail()
    invited = api.post("/api/staff", {"email": "Cleo@Bücher.test"}, token=admin)
    assert (invited.status_code, invited.json_body["email"]) == (201, "cleo@xn--bcher-kva.test")
    assert [m["Destinations"] for m in mail] == [["cleo@xn--bcher-kva.test"]]
    refused = api.post("/api/staff", {"email": "jösé@partner.test"}, token=admin)
    assert refused.status_code == 400 and "no SMTPUTF8" in refused.json_body["reason"]
    assert len(mail) == 1
