"""The staff API, mounted under /api: thin handlers over the ticket desk.

Each handler decodes the request, calls one service and returns JSON; `answers_errors`
turns inbound's errors into status codes (http_io.py). The middleware below checks the
bearer token of every request to every route except PUBLIC_ROUTES, before any handler
runs, in Lambda, `chalice local`, `inbound up` and the test client alike.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api import views
from chalicelib.api.http_io import (
    answers_errors,
    json_object,
    listed,
    number,
    query_params,
    response_for,
)
from chalicelib.errors import InboundError, InvalidRequest
from chalicelib.wiring import services

staff_api = Blueprint(__name__)

# Routes as Chalice names them (with any prefix) that need no token; every other route
# of the app is refused without a valid one, including routes added later (fail closed).
PUBLIC_ROUTES: set[str] = {"/api/health"}


def public_routes(*paths: str) -> None:
    """Declare routes that need no token (the console's page, assets and sign-in proxy)."""
    PUBLIC_ROUTES.update(paths)


QUEUE_PARAMS = ("mailbox", "status", "assignee", "tag", "cursor", "limit", "q", "sort", "counts")


@staff_api.middleware("http")
def require_staff_token(event: Any, get_response: Any) -> Any:
    """401 unless the request carries a valid staff token; the caller goes in the context."""
    if event is None or event.context.get("resourcePath") in PUBLIC_ROUTES:
        return get_response(event)
    try:
        identity = services().auth.verify(event.headers.get("authorization", ""))
    except InboundError as exc:
        return response_for(exc)
    event.context["staff"] = {
        "agent": identity.agent,
        "token_use": identity.token_use,
        "admin": identity.admin,
    }
    response = get_response(event)
    # Customers' mail, addresses and the staff list: a browser keeps a response to a request
    # with a token in its disk cache unless told not to (RFC 9111 section 5.2.2.5), where the
    # next user of a shared machine, or anything reading the profile, finds it after sign-out.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _request() -> Any:
    return staff_api.current_request


def _agent() -> str:
    return str(staff_api.current_request.context["staff"]["agent"])


@staff_api.route("/tickets", methods=["GET"])
@answers_errors
def list_tickets() -> Any:
    q = query_params(_request(), QUEUE_PARAMS)
    if "counts" in q:  # the console's view tabs: how many, not which (no route more at cold start)
        return views.counts_json(services().desk.counts(_agent(), q.get("mailbox")))
    status, limit = listed(q.get("status")), number(q.get("limit"), "limit")
    if "q" in q:  # search: the same page shape, newest first, any status unless asked
        found = services().search.search(
            _agent(),
            q["q"],
            q.get("mailbox"),
            status,
            q.get("assignee"),
            q.get("tag"),
            q.get("cursor"),
            limit or 25,
        )
        return views.queue_json(found)
    page = services().desk.queue(
        _agent(),
        q.get("mailbox"),
        status,
        q.get("assignee"),
        q.get("tag"),
        q.get("cursor"),
        limit,
        q.get("sort"),
    )
    return views.queue_json(page)


@staff_api.route("/changes", methods=["GET"])
@answers_errors
def changes() -> Any:
    """The change counters; ?ticket=T-1042 adds that ticket's presence counter."""
    ticket = query_params(_request(), ("ticket",)).get("ticket")
    return views.changes_json(services().changes.read(_agent(), ticket))


@staff_api.route("/reports", methods=["GET"])
@answers_errors
def team_report() -> Any:
    """The team report (services/team_reports.py) for ?from=&to= (YYYY-MM-DD) and ?mailbox=."""
    q = query_params(_request(), ("from", "to", "mailbox"))
    return services().reports.report(q.get("from"), q.get("to"), q.get("mailbox"))


@staff_api.route("/alerts", methods=["GET", "PUT"])
@answers_errors
def reply_alerts() -> Any:
    """The caller's own choice: a mail when a customer replies on their ticket (off by default).
    PUT {"customer_reply_mail": true|false}."""
    preferences = services().alert_preferences
    if _request().method == "PUT":
        body = json_object(_request(), {"customer_reply_mail": bool})
        preferences.set_reply_mail(_agent(), body["customer_reply_mail"])
    return {"customer_reply_mail": preferences.wants_reply_mail(_agent())}


@staff_api.route("/agents", methods=["GET"])
@answers_errors
def list_agents() -> Any:
    return {"agents": services().auth.agents()}


@staff_api.route("/tickets/next", methods=["POST"])
@answers_errors
def claim_next() -> Any:
    ticket = services().desk.claim_next(_agent(), query_params(_request(), ("mailbox",)).get("mailbox"))
    return views.ticket_json(ticket) if ticket else Response(body="", status_code=204)


@staff_api.route("/tickets/{ticket_id}", methods=["GET"])
@answers_errors
def show_ticket(ticket_id: str) -> Any:
    before = query_params(_request(), ("before",)).get("before")  # the earlier page
    return views.detail_json(services().desk.show(ticket_id, before=before or None))


@staff_api.route("/tickets/{ticket_id}/history", methods=["GET"])
@answers_errors
def ticket_history(ticket_id: str) -> Any:
    cursor = query_params(_request(), ("cursor",)).get("cursor")
    return views.queue_json(services().search.history(ticket_id, cursor))


@staff_api.route("/tickets/{ticket_id}", methods=["PATCH"])
@answers_errors
def update_ticket(ticket_id: str) -> Any:
    body = json_object(
        _request(),
        {},
        {
            "status": str,
            "assignee": str,
            "priority": str,
            "tags": list,
            "take_over": bool,
            "mailbox": str,
            "subject": str,
        },
    )
    return views.ticket_json(services().desk.update(ticket_id, _agent(), **body))


@staff_api.route("/tickets/{ticket_id}/reply", methods=["POST"])
@answers_errors
def reply(ticket_id: str) -> Any:
    """`format`: "markdown" (the console's) is rendered to safe HTML, "text" (the default) is
    sent as written, an `html` part sanitised; either way signed (services/composer.py).
    `undo`: hold the reply for the stage's send delay (202, services/held_replies.py)."""
    optional = {"html": str, "last_seen": str, "uploads": list, "format": str, "undo": bool}
    body = json_object(_request(), {"text": str}, optional, free_text=("text", "html"))
    svc = services()
    written = svc.composer.written(
        _agent(), body["text"], body.get("format") or "text", body.get("html") or ""
    )
    if body.get("undo") and svc.settings.send_delay_seconds > 0:  # held for the undo window
        held = svc.held_replies.hold(
            ticket_id,
            _agent(),
            written.text,
            written.html,
            written.display_name,
            tuple(body.get("uploads") or ()),
            body.get("last_seen"),
        )
        return Response(body=views.held_json(held), status_code=202)
    files = svc.uploads.attachments(ticket_id, body["uploads"]) if body.get("uploads") else ()
    sent = svc.outbound.reply(
        ticket_id,
        _agent(),
        written.text,
        html=written.html or None,
        attachments=files,
        last_seen=body.get("last_seen"),
        display_name=written.display_name,
    )
    return Response(body=views.reply_json(sent), status_code=201)


@staff_api.route("/tickets/{ticket_id}/notes", methods=["POST"])
@answers_errors
def add_note(ticket_id: str) -> Any:
    text = json_object(_request(), {"text": str}, free_text=("text",))["text"]
    note = services().desk.add_note(ticket_id, _agent(), text)
    return Response(body=views.note_json(note), status_code=201)


@staff_api.route("/tickets/{ticket_id}/split", methods=["POST"])
@answers_errors
def split_ticket(ticket_id: str) -> Any:
    """`message_key`, or `message_keys` (several messages into the one new ticket)."""
    body = json_object(_request(), {}, {"message_key": str, "message_keys": list})
    keys = [body["message_key"]] if "message_key" in body else body.get("message_keys") or []
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise InvalidRequest("give message_key, or message_keys: a list of the messages to split out")
    new = services().desk.split(ticket_id, _agent(), keys[0], keys[1:])
    return Response(body=views.ticket_json(new), status_code=201)


@staff_api.route("/tickets/{ticket_id}/merge", methods=["POST"])
@answers_errors
def merge_ticket(ticket_id: str) -> Any:
    into = json_object(_request(), {"into": str})["into"]
    return views.ticket_json(services().desk.merge(ticket_id, _agent(), into))


@staff_api.route("/tickets/{ticket_id}/participants", methods=["POST"])
@answers_errors
def add_participant(ticket_id: str) -> Any:
    address = json_object(_request(), {"address": str})["address"]
    return views.ticket_json(services().desk.add_participant(ticket_id, _agent(), address))


@staff_api.route("/tickets/{ticket_id}/participants/remove", methods=["POST"])
@answers_errors
def remove_participant(ticket_id: str) -> Any:
    address = json_object(_request(), {"address": str})["address"]
    return views.ticket_json(services().desk.remove_participant(ticket_id, _agent(), address))


@staff_api.route("/suspended", methods=["GET"])
@answers_errors
def list_suspended() -> Any:
    svc = services()
    mailbox = svc.desk.mailbox(query_params(_request(), ("mailbox",)).get("mailbox"))
    return {"mailbox": mailbox, "suspended": [views.suspended_json(h) for h in svc.suspended.list(mailbox)]}


@staff_api.route("/suspended/{mailbox}/{key}/release", methods=["POST"])
@answers_errors
def release_suspended(mailbox: str, key: str) -> Any:
    return views.outcome_json(services().suspended.release(mailbox, key))


@staff_api.route("/suspended/{mailbox}/{key}/discard", methods=["POST"])
@answers_errors
def discard_suspended(mailbox: str, key: str) -> Any:
    services().suspended.discard(mailbox, key)
    return Response(body="", status_code=204)


@staff_api.route("/tickets/{ticket_id}/presence", methods=["PUT"])
@answers_errors
def touch_presence(ticket_id: str) -> Any:
    writing = json_object(_request(), {}, {"writing": bool}).get("writing", False)
    seen = services().presence.touch(ticket_id, _agent(), writing)
    return views.presence_json(ticket_id, seen.others, seen.changes)


@staff_api.route("/tickets/{ticket_id}/presence", methods=["GET"])
@answers_errors
def show_presence(ticket_id: str) -> Any:
    return views.presence_json(ticket_id, services().presence.others(ticket_id, _agent()))


@staff_api.route("/tickets/{ticket_id}/presence", methods=["DELETE"])
@answers_errors
def leave_presence(ticket_id: str) -> Any:
    services().presence.leave(ticket_id, _agent())
    return Response(body="", status_code=204)
