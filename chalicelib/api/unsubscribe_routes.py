"""The one-click unsubscribe endpoint of announcements (RFC 8058), with no sign-in.

POST /u/<token> is the one-click request a mailbox provider sends on the recipient's behalf
(body `List-Unsubscribe=One-Click`); GET shows a page whose button sends that same POST, so
a link scanner that follows every URL opts nobody out. Both answer a plain page and never
say whether the token was good beyond "this link is not valid": the token is an HMAC over
(address, list) under the reply secrets, so nobody can opt a stranger out. The opt-out is
for announcements only: the suppression list, and so replies to tickets, stay as they were.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.api.staff_routes import public_routes
from chalicelib.wiring import services

unsubscribe = Blueprint(__name__)
ROUTE = "/u/{token}"
public_routes(ROUTE)
_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# RFC 8058 §3.1: the POST body is form data, urlencoded or multipart.
_FORMS = ["application/x-www-form-urlencoded", "multipart/form-data"]


def _page(title: str, body: str, status: int = 200) -> Response:
    text = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif;max-width:32em;margin:3em auto'><h1>{title}</h1>{body}</body></html>"
    )
    return Response(body=text, status_code=status, headers=_HEADERS)


def _announcement() -> str:
    query = unsubscribe.current_request.query_params
    return str(query.get("a", ""))[:64] if query else ""


@unsubscribe.route(ROUTE, methods=["GET"])
def confirm(token: str) -> Response:
    # Relative to this page and percent-encoded: a link anyone can make (`/u/javascript:...`)
    # must not turn the form's action into a scheme of its own.
    query = f"?a={quote(_announcement(), safe='')}" if _announcement() else ""
    action = html.escape(f"./{quote(token, safe='')}{query}", quote=True)
    return _page(
        "Unsubscribe from announcements",
        "<p>You will no longer receive announcements from us. Replies to your own requests "
        f"still reach you.</p><form method='post' action='{action}'>"
        "<input type='hidden' name='List-Unsubscribe' value='One-Click'>"
        "<button type='submit'>Unsubscribe</button></form>",
    )


@unsubscribe.route(ROUTE, methods=["POST"], content_types=_FORMS)
def one_click(token: str) -> Response:
    address = services().announcements.unsubscribe(token, _announcement())
    if address is None:
        return _page("This link is not valid", "<p>Nothing was changed.</p>", 400)
    return _page("You are unsubscribed", "<p>You will receive no more announcements from us.</p>")
