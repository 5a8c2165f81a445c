"""The composer's routes beside the reply, mounted under /api: upload forms for reply
attachments, forwards, held replies (undo-send). The token check of api/staff_routes.py runs first, as for every route."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api import views
from chalicelib.api.http_io import answers_errors, json_object
from chalicelib.wiring import services

composer_api = Blueprint(__name__)


@composer_api.route("/tickets/{ticket_id}/uploads", methods=["POST"])
@answers_errors
def offer_upload(ticket_id: str) -> Any:
    """A presigned POST for one file of a reply: {filename, content_type, size}."""
    body = json_object(
        composer_api.current_request, {"filename": str, "size": int}, {"content_type": str}, ("filename",)
    )
    offer = services().uploads.offer(ticket_id, body["filename"], body.get("content_type", ""), body["size"])
    return Response(
        body={
            "key": offer.key,
            "filename": offer.filename,
            "content_type": offer.content_type,
            "max_bytes": offer.max_bytes,
            "url": offer.url,
            "fields": offer.fields,
        },
        status_code=201,
    )


@composer_api.route("/tickets/{ticket_id}/forward", methods=["POST"])
@answers_errors
def forward(ticket_id: str) -> Any:
    """{to, note?, message_key?}: one message, or without message_key the whole ticket."""
    body = json_object(
        composer_api.current_request, {"to": str}, {"note": str, "message_key": str}, free_text=("note",)
    )
    agent = str(composer_api.current_request.context["staff"]["agent"])
    line = services().forwarding.forward(
        ticket_id, agent, body["to"], body.get("note", ""), body.get("message_key", "")
    )
    return Response(
        body={"ticket": ticket_id, "to": body["to"].strip().lower(), "recorded": line.body.text},
        status_code=201,
    )


@composer_api.route("/tickets/{ticket_id}/held/{hold_id}", methods=["GET", "DELETE"])
@answers_errors
def held_reply(ticket_id: str, hold_id: str) -> Any:
    """GET: what became of a held reply; DELETE: undo it (409 once its send has begun).
    GET held/waiting (no hold id is a word): the caller's replies not yet sent, with their text
    and files, for a page loaded again; one route more would cost every cold start."""
    held = services().held_replies
    agent = str(composer_api.current_request.context["staff"]["agent"])
    if composer_api.current_request.method == "DELETE":
        return views.held_json(held.undo(ticket_id, hold_id, agent))
    if hold_id == "waiting":
        from chalicelib.domain.reply_uploads import name_of
        from chalicelib.domain.saved_replies import unsigned

        signature = services().composer.profile(agent).signature
        pending = held.pending(ticket_id, agent)
        return {
            "held": [
                {
                    **views.held_json(h),
                    "text": unsigned(h.text, signature),
                    # Uploaded already: an Undo puts them back on the reply by key.
                    "files": [{"key": key, "name": name_of(key)} for key in h.uploads],
                }
                for h in pending
            ]
        }
    return views.held_json(held.status(ticket_id, hold_id))
