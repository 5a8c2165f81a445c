"""The staff API through chalice.test.Client with moto's Cognito tokens: what staff see."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from chalicelib.wiring import services
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket, serialize_moto_dynamodb
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, Api, pool_of, sent_mail, ssm_outage
from tests.support.staff_auth import claims_for, sign_in, signed, tampered, unsigned

STAFF_ROUTES = {
    ("GET", "/api/tickets"),
    ("POST", "/api/tickets/next"),
    ("GET", "/api/tickets/{ticket_id}"),
    ("GET", "/api/tickets/{ticket_id}/history"),
    ("PATCH", "/api/tickets/{ticket_id}"),
    ("POST", "/api/tickets/{ticket_id}/reply"),
    ("POST", "/api/tickets/{ticket_id}/notes"),
    ("POST", "/api/tickets/{ticket_id}/split"),
    ("POST", "/api/tickets/{ticket_id}/merge"),
    ("POST", "/api/tickets/{ticket_id}/participants"),
    ("POST", "/api/tickets/{ticket_id}/participants/remove"),
    ("PUT", "/api/tickets/{ticket_id}/presence"),
    ("GET", "/api/tickets/{ticket_id}/presence"),
    ("DELETE", "/api/tickets/{ticket_id}/presence"),
    ("GET", "/api/suspended"),
    ("POST", "/api/suspended/{mailbox}/{key}/release"),
    ("POST", "/api/suspended/{mailbox}/{key}/discard"),
}


def _protected_routes() -> set[tuple[str, str]]:
    """Every route of the app, whoever added it, except those declared public."""
    from app import app
    from chalicelib.api.staff_routes import PUBLIC_ROUTES

    return {(m, path) for path, methods in app.routes.items() if path not in PUBLIC_ROUTES for m in methods}


def _bad_token(kind: str, api: Api) -> str:
    pool, client = pool_of(api.stack)
    now = int(time.time())
    if kind == "expired":
        return signed(claims_for(pool, client, email=ANN, iat=now - 7200, exp=now - 3600))
    if kind == "tampered":
        return tampered(api.token, email="boss@example.com")
    if kind == "alg-none":
        return unsigned(claims_for(pool, client, email=ANN))
    if kind == "wrong-pool":
        cognito = api.stack.client("cognito-idp")
        other = cognito.create_user_pool(PoolName="someone-elses-pool")["UserPool"]["Id"]
        other_client = cognito.create_user_pool_client(
            UserPoolId=other, ClientName="theirs", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        return sign_in(cognito, other, other_client, ANN)["id"]
    return ""


@pytest.mark.parametrize("kind", ["missing", "expired", "tampered", "wrong-pool", "alg-none"])
def test_every_route_but_the_public_ones_refuses_a_request_without_a_valid_token(api, kind):
    """GIVEN a ticket WHEN any route (not declared public) is called with a bad token THEN 401,
    and nothing changed; /api/health still answers."""
    ticket_id = new_ticket(api.stack)
    token = _bad_token(kind, api)
    protected = _protected_routes()
    assert STAFF_ROUTES <= protected
    for method, route in sorted(protected):
        path = route.replace("{ticket_id}", ticket_id).replace("{mailbox}", "support")
        response = api.call(method, re.sub(r"{\w+}", "x", path), {"text": "x"}, token=token)
        assert response.status_code == 401, (method, route)
        assert response.json_body["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    stored = api.stack.tickets.get_ticket(ticket_id)
    assert (stored.assignee, stored.message_count) == ("", 1)
    assert api.get("/api/health", token=token).status_code == 200


def test_access_tokens_work_too_and_the_keys_are_fetched_once(api):
    """An access token names the agent its ID token named first (it carries no email)."""
    before = len(api.jwks_requests)
    access = sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)["access"]
    for _ in range(3):
        assert api.get("/api/tickets").status_code == 200
        assert api.get("/api/tickets", token=access).status_code == 200
    assert len(api.jwks_requests) - before == 1


def test_the_queue_lists_open_tickets_with_counts_and_pages(api):
    made = [new_ticket(api.stack, f"ticket {n}") for n in range(3)]
    first = api.get("/api/tickets?limit=2")
    assert first.status_code == 200
    listed = first.json_body["tickets"]
    assert [t["id"] for t in listed] == made[:2]
    assert {
        k: listed[0][k] for k in ("mailbox", "status", "requester", "assignee", "messages", "attachments")
    } == {
        "mailbox": "support",
        "status": "new",
        "requester": "alice@customer.org",
        "assignee": None,
        "messages": 1,
        "attachments": 0,
    }
    rest = api.get(f"/api/tickets?limit=2&cursor={first.json_body['cursor']}").json_body
    assert [t["id"] for t in rest["tickets"]] == made[2:] and rest["cursor"] is None


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("status=done", "unknown status 'done'"),
        ("limit=many", "limit must be a whole number"),
        ("limit=1000", "limit must be between 1 and 100"),
        ("mailbox=sales", "unknown mailbox 'sales'"),
        ("colour=red", "unknown query parameter 'colour'"),
        ("cursor=garbage!", "cursor"),
    ],
)
def test_a_bad_queue_request_gets_400_saying_what_is_wrong(api, query, why):
    response = api.get(f"/api/tickets?{query}")
    assert response.status_code == 400 and why in response.json_body["reason"]


def test_claim_next_assigns_the_caller_and_says_when_the_queue_is_empty(api):
    ticket_id = new_ticket(api.stack)
    claimed = api.post("/api/tickets/next")
    assert claimed.status_code == 200
    assert (claimed.json_body["id"], claimed.json_body["assignee"], claimed.json_body["status"]) == (
        ticket_id,
        ANN,
        "open",
    )
    assert api.post("/api/tickets/next").status_code == 204
    assert api.post("/api/tickets/next?mailbox=nowhere").status_code == 400


def test_a_messages_notes_come_with_their_codes_beside_the_reason(api):
    """GIVEN an unauthenticated mail naming a Cc (stored through the DynamoDB adapter)
    WHEN the console opens its ticket THEN the note's code and values come beside the
    English reason, for the console to say in the agent's language."""
    unauthenticated = {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL"}
    outcome = deliver(api.stack, make_mail(cc="carol@customer.org"), **unauthenticated)
    [message] = api.get(f"/api/tickets/{outcome.ticket}").json_body["messages"]
    assert message["notes"] == [
        {
            "code": "participants_unauthenticated",
            "data": {},
            "text": "Cc, To and Reply-To not added: the sender is not authenticated",
        }
    ]
    assert message["reason"] == message["notes"][0]["text"]
    stranger = deliver(api.stack, make_mail(subject=f"[{outcome.ticket}] x", sender="eve@else.org"))
    ticket = api.get(f"/api/tickets/{stranger.ticket}").json_body["ticket"]
    assert [(n["code"], n["data"]) for n in ticket["related_notes"]] == [
        ("subject_not_participant", {"sender": "eve@else.org", "ticket": outcome.ticket})
    ]
    assert ticket["related_reason"] == ticket["related_notes"][0]["text"]


def test_a_ticket_shows_messages_with_download_links(api):
    pdf = b"%PDF-1.4\n" + b"0" * 64
    outcome = deliver(api.stack, make_mail(attachments=(("scan.pdf", "application/pdf", pdf),)))
    response = api.get(f"/api/tickets/{outcome.ticket}")
    assert response.status_code == 200
    [message] = response.json_body["messages"]
    assert (message["sender"], message["thread_signal"], message["verdicts"]["spf"]) == (
        "alice@customer.org",
        "new",
        "PASS",
    )
    [attachment] = message["attachments"]
    assert attachment["filename"] == "scan.pdf" and attachment["disposition"] == "inline"
    assert attachment["url"].startswith("https://") and "X-Amz-Signature=" in attachment["url"]
    for missing in ("T-999999", "not-a-ticket"):
        gone = api.get(f"/api/tickets/{missing}")
        assert gone.status_code == 404 and gone.json_body["error"] == "ticket_not_found"


def test_patch_changes_the_ticket_and_validates_the_body(api):
    ticket_id = new_ticket(api.stack)
    changed = api.patch(
        f"/api/tickets/{ticket_id}",
        {"status": "pending", "assignee": "me", "priority": "high", "tags": ["vip"]},
    )
    assert changed.status_code == 200
    body = changed.json_body
    assert (body["status"], body["assignee"], body["priority"], body["tags"]) == (
        "pending",
        ANN,
        "high",
        ["vip"],
    )
    assert api.patch(f"/api/tickets/{ticket_id}", {"assignee": None}).json_body["assignee"] is None
    for bad, why in [
        ({"status": "done"}, "status must be one of"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"tags": "vip"}, "'tags' must be a list of strings"),
        ({}, "nothing to change"),
        ("[1, 2]", "body must be a JSON object"),
        ("{not json", "body is not JSON"),
    ]:
        response = api.patch(f"/api/tickets/{ticket_id}", bad)
        assert response.status_code == 400 and why in response.json_body["reason"], bad
    assert api.patch("/api/tickets/T-999999", {"status": "open"}).status_code == 404


def test_notes_are_stored_internal_and_shown_with_the_messages(api):
    ticket_id = new_ticket(api.stack)
    created = api.post(f"/api/tickets/{ticket_id}/notes", {"text": "Customer is a VIP."})
    assert created.status_code == 201 and created.json_body["sender"] == ANN
    messages = api.get(f"/api/tickets/{ticket_id}").json_body["messages"]
    assert (messages[-1]["kind"], messages[-1]["direction"], messages[-1]["text"]) == (
        "note",
        "internal",
        "Customer is a VIP.",
    )
    assert api.post(f"/api/tickets/{ticket_id}/notes", {}).json_body["reason"] == "field 'text' is required"
    assert api.post("/api/tickets/T-999999/notes", {"text": "hi"}).status_code == 404


def test_reply_goes_through_the_outbound_guard(api):
    ticket_id = new_ticket(api.stack)
    sent = api.post(f"/api/tickets/{ticket_id}/reply", {"text": "We are on it."})
    assert sent.status_code == 201, sent.json_body
    assert sent.json_body["to"] == ["alice@customer.org"]
    assert api.post(f"/api/tickets/{ticket_id}/reply", {"html": "<p>hi</p>"}).status_code == 400
    assert api.post("/api/tickets/T-999999/reply", {"text": "hi"}).status_code == 404
    services().suppression.import_list("alice@customer.org,BOUNCE", by="test")
    refused = api.post(f"/api/tickets/{ticket_id}/reply", {"text": "Hello again."})
    assert refused.status_code == 409 and refused.json_body["error"] == "suppressed"
    assert refused.json_body["reason"]


def test_split_and_merge_answer_with_the_ticket_that_now_holds_the_messages(api):
    first = deliver(api.stack, make_mail())
    second = deliver(api.stack, make_mail(subject=f"Re: [{first.ticket}] Printer on fire"))
    split = api.post(f"/api/tickets/{first.ticket}/split", {"message_key": second.ses_message_id})
    assert split.status_code == 201 and split.json_body["messages"] == 1
    new_id = split.json_body["id"]
    only = api.post(f"/api/tickets/{new_id}/split", {"message_key": second.ses_message_id})
    assert only.status_code == 409 and "only message" in only.json_body["reason"]
    unknown = api.post(f"/api/tickets/{first.ticket}/split", {"message_key": "nope"})
    assert unknown.status_code == 404 and unknown.json_body["error"] == "message_not_found"
    merged = api.post(f"/api/tickets/{new_id}/merge", {"into": first.ticket})
    assert merged.status_code == 200 and (merged.json_body["id"], merged.json_body["messages"]) == (
        first.ticket,
        2,
    )
    source = api.get(f"/api/tickets/{new_id}").json_body["ticket"]
    assert (source["status"], source["merged_into"]) == ("closed", first.ticket)
    assert api.post(f"/api/tickets/{new_id}/merge", {"into": first.ticket}).status_code == 409
    assert api.post(f"/api/tickets/{first.ticket}/merge", {"into": first.ticket}).status_code == 400
    assert api.post("/api/tickets/T-999999/merge", {"into": first.ticket}).status_code == 404
    assert api.post(f"/api/tickets/{first.ticket}/merge", {"into": 7}).status_code == 400


def test_suspended_mail_is_listed_released_and_discarded(api):
    keep = deliver(
        api.stack, make_mail(subject="Out of office, but read this", headers={"Precedence": "bulk"})
    )
    drop = deliver(api.stack, make_mail(subject="Vacation", headers={"Auto-Submitted": "auto-replied"}))
    listed = api.get("/api/suspended?mailbox=support").json_body["suspended"]
    keys = {suspended["ses_message_id"]: suspended["key"] for suspended in listed}
    assert set(keys) == {keep.ses_message_id, drop.ses_message_id}
    released = api.post(f"/api/suspended/support/{keys[keep.ses_message_id].replace('#', '%23')}/release")
    assert released.status_code == 200 and released.json_body["outcome"] == "created"
    assert (
        api.post(
            f"/api/suspended/support/{keys[drop.ses_message_id].replace('#', '%23')}/discard"
        ).status_code
        == 204
    )
    assert api.get("/api/suspended").json_body["suspended"] == []
    assert api.post("/api/suspended/support/nothing/discard").status_code == 404
    assert api.get("/api/suspended?mailbox=sales").status_code == 400


def test_a_suspended_mails_reason_comes_with_its_code(api):
    """GIVEN a newsletter suspended (stored through the DynamoDB adapter) WHEN the console
    lists the suspended mail THEN its reason's code and values come beside the English."""
    deliver(api.stack, make_mail(subject="News", headers={"List-Id": "News <news.example.org>"}))
    quoted = deliver(api.stack, make_mail(subject="Vacation", headers={"Auto-Submitted": "auto-replied"}))
    listed = {
        h["ses_message_id"]: h for h in api.get("/api/suspended?mailbox=support").json_body["suspended"]
    }
    [news] = [h for key, h in listed.items() if key != quoted.ses_message_id]
    assert news["notes"] == [
        {"code": "mailing_list", "data": {"header": "List-Id"}, "text": "List-Id present (mailing list)"}
    ]
    # a header quoted as it came has no code: shown as written in every language
    assert listed[quoted.ses_message_id]["notes"] == [
        {"code": None, "data": {}, "text": "Auto-Submitted: auto-replied"}
    ]


def _post(url: str, token: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(
        url, method="POST", data=b"", headers={"Content-Type": "application/json"}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_ten_agents_claiming_at_once_over_http_never_get_the_same_ticket(api, local_server, monkeypatch):
    """GIVEN 12 new tickets WHEN 10 agents press "next" at the same moment on the local server
    THEN each gets a different ticket, assigned to them, and 2 stay in the queue."""
    serialize_moto_dynamodb(monkeypatch)
    made = [new_ticket(api.stack, f"ticket {n}") for n in range(12)]
    cognito = api.stack.client("cognito-idp")
    agents = {
        f"agent{n}@example.com": sign_in(cognito, *pool_of(api.stack), f"agent{n}@example.com")["id"]
        for n in range(10)
    }
    assert _post(f"{local_server}/api/tickets/next")[0] == 401
    start, claims = threading.Barrier(len(agents)), {}

    def claim(agent: str, token: str) -> None:
        start.wait()
        claims[agent] = _post(f"{local_server}/api/tickets/next", token)

    threads = [threading.Thread(target=claim, args=item) for item in agents.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(status == 200 for status, _ in claims.values()), claims
    won = {agent: body["id"] for agent, (_, body) in claims.items()}
    assert len(set(won.values())) == 10
    assert all(api.stack.tickets.get_ticket(ticket).assignee == agent for agent, ticket in won.items())
    left = api.get("/api/tickets?assignee=none").json_body["tickets"]
    assert sorted(t["id"] for t in left) == sorted(set(made) - set(won.values()))


def test_a_reply_while_ssm_is_out_is_a_503_that_says_try_again_and_sends_nothing(api):
    """The reply's Reply-To is signed under the reply secrets (SSM). Throttled or out, in a
    container that has not read them: 503 `unavailable` with Retry-After, not a 500, no mail."""
    ticket_id = new_ticket(api.stack)
    ssm_outage()
    sent = sent_mail()

    answer = api.post(f"/api/tickets/{ticket_id}/reply", {"text": "We are on it."})

    assert (answer.status_code, answer.json_body["error"]) == (503, "unavailable"), answer.json_body
    assert int(answer.headers["Retry-After"]) > 0 and sent == []
