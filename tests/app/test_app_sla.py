"""SLA over the API: the targets (anyone reads, an admin sets), each ticket's due times in
the queue and the ticket, and the queue sorted by due time."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.timestamps import iso_millis
from tests.support.desk_helpers import new_ticket
from tests.support.staff_api import ANN, Api, pool_of
from tests.support.staff_auth import sign_in


def _admin(api: Api) -> str:
    cognito, (pool, client) = api.stack.client("cognito-idp"), pool_of(api.stack)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=ANN, GroupName="admin")
    return sign_in(cognito, pool, client, ANN)["id"]


def _set(api: Api, token: str, priority: str, first: int, resolution: int, mailbox: str = "support"):
    body = {
        "mailbox": mailbox,
        "priority": priority,
        "first_response_minutes": first,
        "resolution_minutes": resolution,
    }
    return api.call("PUT", "/api/sla", body, token=token)


def test_an_admin_sets_targets_an_agent_reads_them_but_may_not_set_them(api):
    refused = _set(api, api.token, "urgent", 15, 120)
    assert (refused.status_code, refused.json_body["error"]) == (403, "forbidden")
    admin = _admin(api)
    answer = _set(api, admin, "urgent", 15, 120)
    assert answer.status_code == 200, answer.json_body
    read = api.get("/api/sla").json_body
    assert read["clock"] == "wall-clock"
    assert {
        "mailbox": "support",
        "priority": "urgent",
        "first_response_minutes": 15,
        "resolution_minutes": 120,
    } in (read["targets"])
    assert len(read["targets"]) == 8  # two mailboxes, four priorities
    bad = _set(api, admin, "whenever", 15, 120)
    assert bad.status_code == 400 and "priority must be one of" in bad.json_body["reason"]
    unknown = _set(api, admin, "urgent", 15, 120, mailbox="sales")
    assert unknown.status_code == 400 and "unknown mailbox" in unknown.json_body["reason"]


def test_tickets_carry_their_due_times_and_the_queue_sorts_by_them(api):
    admin = _admin(api)
    assert _set(api, admin, "normal", 60, 480).status_code == 200
    assert _set(api, admin, "urgent", 10, 120).status_code == 200
    older, newer = new_ticket(api.stack, "first"), new_ticket(api.stack, "second")
    assert api.patch(f"/api/tickets/{newer}", {"priority": "urgent"}).status_code == 200
    shown = api.get(f"/api/tickets/{older}").json_body["ticket"]
    created = datetime.fromisoformat(shown["created_at"])
    assert shown["sla"] | {"due": None, "resolution_due": None} == {
        "due": None,
        "due_clock": "first_response",
        "breached": False,
        "first_response_due": iso_millis(created + timedelta(minutes=60)),
        "first_response_at": None,
        "first_response_breached": False,
        "resolution_due": None,
        "resolved_at": None,
        "resolution_breached": False,
    }
    assert shown["sla"]["due"] == shown["sla"]["first_response_due"]
    by_queue = api.get("/api/tickets?mailbox=support&status=new,open").json_body["tickets"]
    by_due = api.get("/api/tickets?mailbox=support&status=new,open&sort=due").json_body["tickets"]
    assert [t["id"] for t in by_due][:2] == [newer, older], "the urgent one is due first"
    assert {t["id"] for t in by_due} == {t["id"] for t in by_queue}
    bad = api.get("/api/tickets?mailbox=support&sort=soon")
    assert bad.status_code == 400 and "sort must be queue or due" in bad.json_body["reason"]


def test_a_changed_target_moves_the_open_backlog_and_says_how_many_tickets_moved(api):
    admin = _admin(api)
    filed = [new_ticket(api.stack, f"before the target {n}", sender=f"b{n}@customer.org") for n in range(3)]
    answer = _set(api, admin, "normal", 30, 240)
    assert answer.status_code == 200, answer.json_body
    backlog = answer.json_body["backlog"]
    assert (backlog["mailbox"], backlog["priority"]) == ("support", "normal")
    updated, cursor = backlog["updated"], backlog["cursor"]
    while cursor:
        more = api.call(
            "POST", "/api/sla", {"mailbox": "support", "priority": "normal", "cursor": cursor}, token=admin
        )
        assert more.status_code == 200, more.json_body
        updated, cursor = updated + more.json_body["backlog"]["updated"], more.json_body["backlog"]["cursor"]
    assert updated >= 3
    for ticket_id in filed:
        shown = api.get(f"/api/tickets/{ticket_id}").json_body["ticket"]
        created = datetime.fromisoformat(shown["created_at"])
        assert shown["sla"]["first_response_due"] == iso_millis(created + timedelta(minutes=30))
    body = {"mailbox": "support", "priority": "normal", "cursor": ""}
    assert api.call("POST", "/api/sla", body, token=api.token).status_code == 403
    bad = api.call("POST", "/api/sla", {**body, "cursor": "not-ours"}, token=admin)
    assert bad.status_code == 400
