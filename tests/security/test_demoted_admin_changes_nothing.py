"""Attack (or accident): an admin is made agent, or disabled, by another admin. The admin
routes trusted the token's `cognito:groups`, which Cognito wrote when it issued the token:
for up to an hour the demoted admin could still invite staff (an account of their own),
set SLA targets, create and send announcements to every customer, and rewrite the saved
replies the whole team sends.

Answer: the role is recorded in the staff directory when an admin changes it, and every
admin change asks the directory at the moment it is made (api/admin_only.py): the demoted
admin's change is refused at once (403), a disabled admin's with 401 `agent_disabled`,
though their token still names the admin group.
"""

from __future__ import annotations

from tests.support.staff_api import ANN, BOB, sent_mail, token_in_groups

DRAFT = {"subject": "We moved", "text": "Our new address is ...", "list": "dora@customer.test\n"}
SLA = {"mailbox": "support", "priority": "normal", "first_response_minutes": 1, "resolution_minutes": 2}


def _attempts(api, bob: str, announcement: str) -> dict:
    return {
        "invite": api.post("/api/staff", {"email": "mallory@elsewhere.test", "role": "admin"}, token=bob),
        "role": api.patch(f"/api/staff/{ANN}", {"role": "agent"}, token=bob),
        "sla": api.call("PUT", "/api/sla", SLA, token=bob),
        "announce": api.post("/api/announcements", {"action": "create", **DRAFT}, token=bob),
        "send": api.post(f"/api/announcements/{announcement}", {"action": "send"}, token=bob),
        "saved reply": api.post(
            "/api/replies", {"mailbox": "support", "title": "Refund", "body": "Pay to ..."}, token=bob
        ),
    }


def _setup(api) -> tuple[str, str, str]:
    admin = token_in_groups(api, ANN, "admin")
    bob = token_in_groups(api, BOB, "admin")  # this container now holds Bob's standing for a while
    created = api.post("/api/announcements", {"action": "create", **DRAFT}, token=bob)
    assert created.status_code == 201, created.json_body
    return admin, bob, created.json_body["id"]


def test_an_admin_made_agent_changes_nothing_with_the_admin_token_they_still_hold(api):
    admin, bob, announcement = _setup(api)
    assert api.patch(f"/api/staff/{BOB}", {"role": "agent"}, token=admin).status_code == 200
    mail = sent_mail()

    attempts = _attempts(api, bob, announcement)
    assert "no longer an admin" in attempts["invite"].json_body["reason"]  # the directory, read afresh
    for what, answer in attempts.items():
        assert (answer.status_code, answer.json_body.get("error")) == (403, "forbidden"), what
    assert mail == [], "no invitation, no announcement"
    staff = {m["email"]: m["role"] for m in api.get("/api/staff", token=admin).json_body["staff"]}
    assert staff[ANN] == "admin" and "mallory@elsewhere.test" not in staff
    report = api.get(f"/api/announcements/{announcement}", token=admin).json_body
    assert report["state"] == "draft", "nothing queued"
    assert api.patch(f"/api/staff/{BOB}", {"role": "admin"}, token=admin).json_body["role"] == "admin"


def test_a_disabled_admin_changes_nothing_within_the_check_window(api):
    admin, bob, announcement = _setup(api)
    assert api.patch(f"/api/staff/{BOB}", {"enabled": False}, token=admin).status_code == 200

    for what, answer in _attempts(api, bob, announcement).items():
        assert (answer.status_code, answer.json_body.get("error")) == (401, "agent_disabled"), what
    staff = {m["email"]: m["role"] for m in api.get("/api/staff", token=admin).json_body["staff"]}
    assert staff[ANN] == "admin" and "mallory@elsewhere.test" not in staff
