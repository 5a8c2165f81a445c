"""GET /files/<token>: the download link in mail for a file too large to attach; no sign-in.

A valid token answers 302 to a presigned GET of a few minutes, signed now with the
function's current credentials (a presigned URL dies with the temporary credentials that
signed it, so mail cannot carry one for a day). Anything else is one plain 404 that does
not say whether the token was forged or only expired.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.staff_routes import public_routes
from chalicelib.errors import SecretsUnavailable
from chalicelib.wiring import services

file_links = Blueprint(__name__)
ROUTE = "/files/{token}"
public_routes(ROUTE)
_TEXT: dict[str, str | list[str]] = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@file_links.route(ROUTE, methods=["GET"])
def download(token: str) -> Response:
    try:
        url = services().file_links.redirect(token)
    except SecretsUnavailable as exc:  # SSM throttled or out: the token cannot be checked now
        return Response(
            body="This link cannot be checked just now; try again in a minute.\n",
            status_code=503,
            headers={**_TEXT, "Retry-After": str(exc.retry_after)},
        )
    if url is None:
        return Response(
            body="This link is not valid or has expired. Ask the sender for the file again.\n",
            status_code=404,
            headers={**_TEXT},
        )
    return Response(
        body="",
        status_code=302,
        headers={"Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
