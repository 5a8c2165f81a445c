"""Announcements in the console, mounted under /api: admins only (api/admin_only.py).

Two paths, each one view for GET and POST, so the app's cold start grows by two routes:

- `GET /announcements`: the newest; `POST /announcements` with `action` `preview` (the
  audience count and the first recipient's mail, nothing stored) or `create`.
- `GET /announcements/{id}`: the report (counts, opens and clicks, each recipient's status;
  `?recipients=0` for the counts alone, what the console polls while it sends);
  `POST /announcements/{id}` with `action` `test` (one copy to `to`) or `send`.

The token check of api/staff_routes.py runs first, as for every route; the admin check
before anything else (a POST's afresh). What the routes do is services/announcements.py's, as the CLI's is.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.admin_only import changes, require_admin
from chalicelib.api.http_io import answers_errors, json_object, query_params
from chalicelib.errors import InvalidRequest
from chalicelib.wiring import services

announcement_api = Blueprint(__name__)

_DRAFT_FIELDS: dict[str, type] = {
    "mailbox": str,
    "subject": str,
    "text": str,
    "html": str,
    "list": str,  # an uploaded list's lines: address, `Name <address>` or `address,Name`
    "tickets_mailbox": str,
    "statuses": list,
    "tag": str,
    "created_from": str,
    "created_to": str,
    "include_unauthenticated": bool,  # requesters whose mail was not authenticated, too
}


def _require_admin() -> dict[str, Any]:
    request = announcement_api.current_request
    return require_admin(request, "sends announcements", fresh=changes(request))


def _sample(raw: bytes) -> dict[str, str] | None:
    """The mail the first recipient would get, as the preview shows it."""
    from email import message_from_bytes, policy  # not at cold start: email.policy is heavy

    if not raw:
        return None
    mail = message_from_bytes(raw, policy=policy.default)
    parts = {kind: mail.get_body((kind,)) for kind in ("plain", "html")}
    content = {k: str(p.get_content()) if p is not None else "" for k, p in parts.items()}  # type: ignore[attr-defined]
    return {
        "from": str(mail["From"]),
        "to": str(mail["To"]),
        "subject": str(mail["Subject"]),
        "list_unsubscribe": str(mail["List-Unsubscribe"]),
        "list_unsubscribe_post": str(mail["List-Unsubscribe-Post"]),
        "text": content["plain"],
        "html": content["html"],
    }


def _draft(body: dict[str, Any], by: str) -> Any:
    from chalicelib.domain.tickets import STATUSES
    from chalicelib.services.announcement_audience import AudienceFilter

    svc = services()
    service = svc.announcements
    invalid: list[str] = []
    left_out = 0
    if body.get("list", "").strip():
        recipients, invalid = service.audience_from_list(body["list"].splitlines())
        audience = "uploaded list"
    else:
        chosen = AudienceFilter(
            mailbox=body.get("tickets_mailbox") or None,
            statuses=tuple(body.get("statuses") or STATUSES),
            tag=body.get("tag") or None,
            created_from=body.get("created_from", ""),
            created_to=body.get("created_to", ""),
            unauthenticated=bool(body.get("include_unauthenticated")),
        )
        (recipients, left_out), audience = service.audience_of(chosen), chosen.describe()
    mailbox = body.get("mailbox") or svc.settings.default_mailbox
    return service.draft(
        mailbox,
        body["subject"],
        body["text"],
        recipients,
        body.get("html", ""),
        audience,
        by,
        invalid,
        left_out,
    )


@announcement_api.route("/announcements", methods=["GET", "POST"])
@answers_errors
def announcements() -> Any:
    staff = _require_admin()
    request = announcement_api.current_request
    if request.method == "GET":
        return {"announcements": [a.as_dict() for a in services().announcements.listed()]}
    body = json_object(
        request,
        {"action": str, "subject": str, "text": str},
        _DRAFT_FIELDS,
        free_text=("text", "html", "list"),
    )
    if body["action"] not in ("preview", "create"):
        raise InvalidRequest("action is preview or create")
    draft = _draft(body, str(staff.get("agent", "")))
    if body["action"] == "preview":
        return {**draft.as_dict(), "sample": _sample(draft.sample)}
    services().announcements.create(draft)
    return Response(body=draft.as_dict(), status_code=201)


@announcement_api.route("/announcements/{announcement_id}", methods=["GET", "POST"])
@answers_errors
def announcement(announcement_id: str) -> Any:
    agent = str(_require_admin().get("agent", ""))
    request = announcement_api.current_request
    service = services().announcements
    if request.method == "GET":
        counts_only = query_params(request, ("recipients",)).get("recipients") == "0"
        summary, recipients = service.status(announcement_id)
        report: dict[str, Any] = summary.as_dict()
        if not counts_only:
            report["recipients"] = [
                {
                    "address": r.address,
                    "name": r.name,
                    "ticket": r.ticket,
                    "state": r.state,
                    "reason": r.reason,
                    "opens": r.opens,
                    "clicks": r.clicks,
                    "updated_at": r.updated_at,
                }
                for r in recipients
            ]
        return report
    body = json_object(request, {"action": str}, {"to": str})
    if body["action"] == "test":
        if not body.get("to"):
            raise InvalidRequest("a test goes to `to`: your own address")
        return {
            "id": announcement_id,
            "test_to": body["to"],
            "ses_message_id": service.test(announcement_id, body["to"], by=agent),
        }
    if body["action"] == "send":
        return {"id": announcement_id, "queued": service.start(announcement_id, by=agent)}
    raise InvalidRequest("action is test or send")
