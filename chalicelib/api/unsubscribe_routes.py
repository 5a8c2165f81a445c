"""The one-click unsubscribe endpoint of announcements (RFC 8058), with no sign-in.

POST /u/<token> is the one-click request a mailbox provider sends on the recipient's behalf
(body `List-Unsubscribe=One-Click`); GET shows a page whose button sends that same POST, so
a link scanner that follows every URL opts nobody out. Both answer a plain page and never
say whether the token was good beyond "this link is not valid": the token is an HMAC over
(address, list, announcement) under the reply secrets, so nobody can opt a stranger out or
count their opt-out against another announcement (domain/announcements.py; older links'
tokens, without the announcement, opt out counted against none). The opt-out is
for announcements only: the suppression list, and so replies to tickets, stay as they were.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.api.staff_routes import public_routes
from chalicelib.domain.customer_language import Language, from_accept_language
from chalicelib.domain.customer_texts import UNSUBSCRIBE, PageWords
from chalicelib.errors import SecretsUnavailable
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


def _page(
    words: PageWords, language: Language, body: str = "", status: int = 200, retry_after: int = 0
) -> Response:
    """A page of our own words (escaped, though they are ours) and `body`, markup we built."""
    title = html.escape(words.title)
    text = (
        f"<!doctype html><html lang='{language.value}'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif;max-width:32em;margin:3em auto'><h1>{title}</h1>"
        f"<p>{html.escape(words.text)}</p>{body}</body></html>"
    )
    # The words follow the browser's Accept-Language: a cache must not hand one reader's to another.
    headers = {**_HEADERS, "Content-Language": language.value, "Vary": "Accept-Language"}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return Response(body=text, status_code=status, headers=headers)


def _language() -> Language:
    """German or English by the browser's Accept-Language, else the desk's default language."""
    asked = str(unsubscribe.current_request.headers.get("accept-language", ""))
    return from_accept_language(asked, services().settings.default_language)


@unsubscribe.route(ROUTE, methods=["GET"])
def confirm(token: str) -> Response:
    # Relative to this page and percent-encoded: a link anyone can make (`/u/javascript:...`)
    # must not turn the form's action into a scheme of its own. The token says everything,
    # the announcement included; a query (older links' unsigned `?a=`) is not carried on.
    action = html.escape(f"./{quote(token, safe='')}", quote=True)
    language = _language()
    words = UNSUBSCRIBE[language]
    return _page(
        words.confirm,
        language,
        f"<form method='post' action='{action}'>"
        "<input type='hidden' name='List-Unsubscribe' value='One-Click'>"
        f"<button type='submit'>{html.escape(words.button)}</button></form>",
    )


@unsubscribe.route(ROUTE, methods=["POST"], content_types=_FORMS)
def one_click(token: str) -> Response:
    language = _language()
    try:
        address = services().announcements.unsubscribe(token)
    except SecretsUnavailable as exc:  # SSM throttled or out: the provider's POST may come again
        return _page(UNSUBSCRIBE[language].unavailable, language, status=503, retry_after=exc.retry_after)
    if address is None:
        return _page(UNSUBSCRIBE[language].invalid, language, status=400)
    return _page(UNSUBSCRIBE[language].done, language)
