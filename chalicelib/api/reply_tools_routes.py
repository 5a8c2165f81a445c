"""The composer's tools, mounted under /api (the staff token is checked first, as for every
route): saved replies, the agent's own profile (display name, signature), and the preview
of a reply as it will be sent. Few routes, each with its methods: every route is read at
every cold start.

- GET  /replies?mailbox=M        the mailbox's saved replies (any agent)
- GET  /replies?ticket=T-1       the ticket's mailbox's, each with `filled`: its values in
- POST /replies                  {mailbox, title, body}: a new one (admins)
- PUT / DELETE /replies/{mailbox}/{id}   edit {title, body} or delete (admins)
- GET / PUT /profile             {display_name, signature}: the caller's own
- POST /composer/preview         {text}: {html, text} as a markdown reply would leave
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.api.admin_only import changes, require_admin
from chalicelib.api.http_io import answers_errors, json_object, query_params
from chalicelib.errors import InvalidRequest
from chalicelib.wiring import services

if TYPE_CHECKING:
    from chalicelib.domain.saved_replies import AgentProfile, SavedReply

reply_tools = Blueprint(__name__)


def _staff(saved_replies: bool = False) -> tuple[str, bool]:
    """The caller, and whether they manage saved replies: an admin, asked afresh of the staff
    directory when the request changes one (api/admin_only.py)."""
    request = reply_tools.current_request
    staff = request.context["staff"]
    admin = bool(staff.get("admin"))
    if saved_replies and admin and changes(request):
        require_admin(request, "manages saved replies", fresh=True)
    return str(staff["agent"]), admin


def _reply_json(reply: SavedReply, filled: str | None = None) -> dict[str, Any]:
    found = {
        "id": reply.id,
        "mailbox": reply.mailbox,
        "title": reply.title,
        "body": reply.body,
        "updated_at": reply.updated_at,
        "updated_by": reply.updated_by,
    }
    return found if filled is None else {**found, "filled": filled}


def _profile_json(profile: AgentProfile) -> dict[str, Any]:
    return {"agent": profile.agent, "display_name": profile.display_name, "signature": profile.signature}


@reply_tools.route("/replies", methods=["GET", "POST"])
@answers_errors
def replies() -> Any:
    request, (agent, admin) = reply_tools.current_request, _staff(saved_replies=True)
    composer = services().composer
    if request.method == "POST":
        body = json_object(request, {"mailbox": str, "title": str, "body": str}, free_text=("title", "body"))
        made = composer.create(agent, admin, body["mailbox"], body["title"], body["body"])
        return Response(body=_reply_json(made), status_code=201)
    q = query_params(request, ("mailbox", "ticket"))
    if "ticket" in q:
        ticket, filled = composer.for_ticket(q["ticket"], agent)
        return {"mailbox": ticket.mailbox, "replies": [_reply_json(r, text) for r, text in filled]}
    if "mailbox" not in q:
        raise InvalidRequest("give mailbox=NAME, or ticket=T-… for the replies filled for that ticket")
    return {"mailbox": q["mailbox"], "replies": [_reply_json(r) for r in composer.saved(q["mailbox"])]}


@reply_tools.route("/replies/{mailbox}/{reply_id}", methods=["PUT", "DELETE"])
@answers_errors
def saved_reply(mailbox: str, reply_id: str) -> Any:
    request, (agent, admin) = reply_tools.current_request, _staff(saved_replies=True)
    composer = services().composer
    if request.method == "DELETE":
        composer.delete(admin, mailbox, reply_id)
        return Response(body="", status_code=204)
    body = json_object(request, {"title": str, "body": str}, free_text=("title", "body"))
    return _reply_json(composer.edit(agent, admin, mailbox, reply_id, body["title"], body["body"]))


@reply_tools.route("/profile", methods=["GET", "PUT"])
@answers_errors
def profile() -> Any:
    request, (agent, _) = reply_tools.current_request, _staff()
    composer = services().composer
    if request.method == "GET":
        return _profile_json(composer.profile(agent))
    body = json_object(request, {}, {"display_name": str, "signature": str}, free_text=("signature",))
    return _profile_json(composer.set_profile(agent, body.get("display_name"), body.get("signature")))


@reply_tools.route("/composer/preview", methods=["POST"])
@answers_errors
def preview() -> Any:
    text = json_object(reply_tools.current_request, {"text": str}, free_text=("text",))["text"]
    rendered = services().composer.preview(_staff()[0], text)
    return {"html": rendered.html, "text": rendered.text}
