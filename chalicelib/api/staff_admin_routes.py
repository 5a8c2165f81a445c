"""Staff administration, mounted under /api: admins only (api/admin_only.py).

The token check of api/staff_routes.py runs first, as for every route; these handlers then
refuse a caller who is not an admin with 403 before anything else happens, and a change by
one who is no longer (the staff directory read afresh).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.admin_only import changes, require_admin
from chalicelib.api.http_io import answers_errors, json_object
from chalicelib.errors import InvalidRequest
from chalicelib.wiring import services

staff_admin = Blueprint(__name__)


def _require_admin() -> None:
    request = staff_admin.current_request
    require_admin(request, "administers staff", fresh=changes(request))


def _console_url() -> str:
    return f"{services().public_url()}/"


@staff_admin.route("/staff", methods=["GET"])
@answers_errors
def list_staff() -> Any:
    _require_admin()
    return {"staff": services().staff_admin.members()}


@staff_admin.route("/staff", methods=["POST"])
@answers_errors
def invite() -> Any:
    _require_admin()
    body = json_object(staff_admin.current_request, {"email": str}, {"role": str})
    member = services().staff_admin.invite(body["email"], body.get("role", "agent"), _console_url())
    return Response(body=member, status_code=201)


@staff_admin.route("/staff/{email}", methods=["PATCH"])
@answers_errors
def change(email: str) -> Any:
    """`enabled` (false: disable, true: enable) and/or `role` (admin, agent)."""
    _require_admin()
    body = json_object(staff_admin.current_request, {}, {"enabled": bool, "role": str})
    if not body:
        raise InvalidRequest("give enabled (true or false) or role (admin or agent)")
    admin = services().staff_admin
    member: dict[str, Any] = {}
    if "role" in body:
        member = admin.set_role(email, body["role"])
    if "enabled" in body:
        member = admin.set_enabled(email, body["enabled"])
    return member


@staff_admin.route("/staff/{email}", methods=["DELETE"])
@answers_errors
def remove(email: str) -> Any:
    _require_admin()
    services().staff_admin.remove(email)
    return Response(body="", status_code=204)


@staff_admin.route("/sla", methods=["GET", "PUT", "POST"])
@answers_errors
def sla_targets() -> Any:
    """The SLA targets per mailbox and priority (any staff may read them); PUT, admins only,
    sets one: {mailbox, priority, first_response_minutes, resolution_minutes} (0: no target)
    and moves the first page of that open backlog to it (`backlog`: read, updated, cursor);
    POST {mailbox, priority, cursor} moves the next page, until the cursor is null."""
    from chalicelib.api.views import sla_backlog_json, sla_targets_json
    from chalicelib.services.sla_clocks import set_target

    svc = services()
    mailboxes = list(svc.settings.mailboxes.values())
    method = staff_admin.current_request.method
    if method == "GET":
        return sla_targets_json(svc.sla_settings.policy(), mailboxes)
    require_admin(staff_admin.current_request, "sets SLA targets", fresh=True)
    if method == "POST":
        body = json_object(staff_admin.current_request, {"mailbox": str, "priority": str, "cursor": str})
        page = svc.sla_backlog.page(body["mailbox"], body["priority"], body["cursor"])
        return {"backlog": sla_backlog_json(body["mailbox"], body["priority"], page)}
    body = json_object(
        staff_admin.current_request,
        {"mailbox": str, "priority": str, "first_response_minutes": int, "resolution_minutes": int},
    )
    policy = set_target(
        svc.sla_settings,
        mailboxes,
        body["mailbox"],
        body["priority"],
        body["first_response_minutes"],
        body["resolution_minutes"],
    )
    page = svc.sla_backlog.page(body["mailbox"], body["priority"])
    return {
        **sla_targets_json(policy, mailboxes),
        "backlog": sla_backlog_json(body["mailbox"], body["priority"], page),
    }
