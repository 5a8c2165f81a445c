"""The console's routes: the page and its assets, its configuration, and the
same-origin sign-in proxy. None needs a token: the page holds no data, and sign-in is
how a token is obtained.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from chalice import Blueprint, Response

from chalicelib.adapters.cognito_sign_in import MALFORMED_SESSION, CognitoSignIn, SignInRefused, SignInResult
from chalicelib.api.http_io import error, json_object, response_for
from chalicelib.api.staff_routes import public_routes
from chalicelib.domain import sign_in_devices
from chalicelib.errors import InboundError
from chalicelib.wiring import services

console = Blueprint(__name__)

PAGE, ASSET = "/", "/{name}"
CONFIG, LOGIN, NEW_PASSWORD, REFRESH = (
    "/console/config.json",
    "/console/login",
    "/console/login/new-password",
    "/console/login/refresh",
)
# Every route of this blueprint: none needs a token, so the API's token check lets them by.
PUBLIC_ROUTES = frozenset({PAGE, ASSET, CONFIG, LOGIN, NEW_PASSWORD, REFRESH})
public_routes(*PUBLIC_ROUTES)

# The page's own policy. Mail is shown in `<iframe sandbox srcdoc>` documents, which
# inherit this policy on top of their own meta policy (see static/console.js):
#  - style-src-attr 'unsafe-inline': mail layout lives in style attributes (nh3 keeps a
#    short list of properties); <style> elements and stylesheets stay 'self' only.
#  - img-src https: http:: remote images, once the agent asks for them; until then the
#    frame's own policy allows data: and cid: only.
#  - frame-src 'none': srcdoc frames are not fetched, so frame-src does not apply to
#    them; it does stop a link clicked inside a mail from loading a page in the frame.
PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: https: http:",
        "frame-src 'none'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
SECURITY_HEADERS: dict[str, str | list[str]] = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# The page's scripts and stylesheet, each served at `/<name>` by the one ASSET route: a new
# console file is a name here, not a route (Chalice registers every route at import, so
# each one costs every function's cold start: bench cold).
ASSETS = frozenset(
    {
        # the string catalogue: the mechanism and one table per language, loaded first
        "i18n.js",
        "i18n-en.js",
        "i18n-de.js",
        "console.js",
        "topbar.js",
        "triage.js",
        "notify.js",
        "staff.js",
        "announce.js",
        "reports.js",
        "attachments.js",
        "replies.js",
        "forward.js",
        "sla.js",
        "alerts.js",
        "undo_send.js",
        "subject.js",
        "bulk_merge.js",
        "console.css",
    }
)
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
}


@functools.lru_cache(maxsize=len(ASSETS) + 1)
def _asset(name: str) -> tuple[str, str]:
    """The file's text and its ETag, read from the package once per container."""
    text = importlib.resources.files(__package__).joinpath("static", name).read_text("utf-8")
    return text, '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def upload_origins(endpoint_url: str | None, bucket: str, region: str) -> str:
    """Where the page posts reply attachments (a presigned POST to the mail bucket): the
    bucket's virtual-hosted S3 endpoints (us-east-1's global name and the regional one), or
    the local stack's endpoint."""
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        return f"{parts.scheme}://{parts.netloc}"
    return f"https://{bucket}.s3.amazonaws.com https://{bucket}.s3.{region}.amazonaws.com"


def _serve(name: str, policy: str = PAGE_POLICY) -> Response:
    text, etag = _asset(name)
    headers: dict[str, str | list[str]] = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": policy,
        "ETag": etag,
        "Cache-Control": "no-cache",
    }
    if etag in (console.current_request.headers.get("if-none-match") or ""):
        return Response(body="", status_code=304, headers=headers)
    kind = CONTENT_TYPES[name.rpartition(".")[2]]
    return Response(body=text, status_code=200, headers={**headers, "Content-Type": kind})


@console.route(PAGE, methods=["GET"])
def page() -> Response:
    # API Gateway serves the stage's root without the slash (`…/api`) from this route too;
    # the page's relative links (console.js, api/...) would then resolve outside the
    # stage and fail. The request's path carries the stage: send the browser to `…/api/`.
    path = str((console.current_request.context or {}).get("path") or "/")
    if not path.endswith("/"):
        return Response(body="", status_code=308, headers={**SECURITY_HEADERS, "Location": f"{path}/"})
    settings = services().settings
    uploads = upload_origins(settings.endpoint_url, settings.mail_bucket, settings.region)
    return _serve("index.html", PAGE_POLICY.replace("connect-src 'self'", f"connect-src 'self' {uploads}"))


@console.route(ASSET, methods=["GET"])
def asset(name: str) -> Response:
    if name not in ASSETS:
        # The gateway's own 404 for a path no route takes (inbound/stage/gateway_responses.py):
        # the catch-all `/{name}` must not tell a scanner that a top-level name is special.
        return error(404, "not_found", "no route here answers this method and path")
    return _serve(name)


@console.route(CONFIG, methods=["GET"])
def configuration() -> Response:
    """What the page needs before sign-in: the mailboxes to choose from."""
    settings = services().settings
    boxes = list(dict.fromkeys([settings.default_mailbox, *settings.mailboxes.values()]))
    body = {"mailboxes": boxes, "defaultMailbox": settings.default_mailbox, "stage": settings.stage}
    return Response(
        body=json.dumps(body),
        status_code=200,
        headers={**SECURITY_HEADERS, "Content-Type": "application/json", "Cache-Control": "no-cache"},
    )


def _signing_in(view: Callable[[CognitoSignIn], tuple[SignInResult, str]]) -> Callable[[], Response]:
    """Tokens are never cached; refusals are `{"error", "reason"}` like the API's. A sign-in
    sets the browser's device cookie (domain/sign_in_devices.py)."""

    @functools.wraps(view)
    def wrapped() -> Response:
        headers: dict[str, str | list[str]] = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
        try:
            result, device = view(services().console_sign_in)
        except SignInRefused as exc:
            refused = error(exc.status, exc.code, exc.reason)
        except InboundError as exc:
            refused = response_for(exc)
        else:
            if device:
                headers["Set-Cookie"] = sign_in_devices.set_cookie(device, _sign_in_path())
            return Response(body=result.as_json(), status_code=200, headers=headers)
        refused.headers.update(headers)
        return refused

    return wrapped


def _sign_in_path() -> str:
    """The path the browser asked the sign-in routes under. API Gateway's request context
    has it as asked (`/api/console/login`: the stage, or a custom domain's base path, first)
    and as the route (`/console/login/new-password`); `inbound up` has no prefix."""
    context = console.current_request.context
    asked, route = str(context.get("path") or ""), str(context.get("resourcePath") or "")
    prefix = asked[: -len(route)] if route and asked.endswith(route) else ""
    return prefix + LOGIN


def _body(required: dict[str, type]) -> dict[str, Any]:
    return json_object(console.current_request, required)


def _email(body: dict[str, Any]) -> str:
    """The address an attempt counts for, as the limits key it. The pool signs in with its
    generated username (a UUID, in every ID token) as well as with the email alias, and the
    limits count per address as typed: a username would be a second allowance of guesses
    for the same agent, so only an address reaches Cognito."""
    email = str(body["email"]).strip().lower()
    local, at, domain = email.rpartition("@")
    if not (at and local and domain) or any(c.isspace() for c in email):
        raise SignInRefused(400, "invalid_request", "sign in with your email address")
    return email


def _counted(address: str, ask: Callable[[], SignInResult]) -> tuple[SignInResult, str]:
    """`ask` Cognito under the sign-in limits: count this attempt for the address (or the
    browser that signed in as it before) and the client (429 when either had too many), and
    take it back when it signs in, so that only wrong passwords and tokens add up. The client
    is API Gateway's `sourceIp`, the connection's address: no header sets it. With the
    result, the browser's device cookie ("" for a refresh, which names no address)."""
    request = console.current_request
    identity = request.context.get("identity") or {}
    guard = services().sign_in_guard
    client = str(identity.get("sourceIp") or "unknown")
    attempt = guard.attempt(address, client, str(request.headers.get("cookie") or ""))
    result = ask()  # SignInRefused for a wrong password: it stays counted
    return result, guard.signed_in(attempt)


@console.route(LOGIN, methods=["POST"])
@_signing_in
def login(cognito: CognitoSignIn) -> tuple[SignInResult, str]:
    body = _body({"email": str, "password": str})
    email = _email(body)
    result, device = _counted(email, lambda: cognito.password(email, body["password"]))
    if result.session:  # the new-password challenge: its session answers for this address only
        result = replace(result, session=services().sign_in_guard.bound_session(email, result.session))
    return result, device


@console.route(NEW_PASSWORD, methods=["POST"])
@_signing_in
def choose_password(cognito: CognitoSignIn) -> tuple[SignInResult, str]:
    body = _body({"email": str, "session": str, "new_password": str})
    email = _email(body)

    def answer() -> SignInResult:
        session = services().sign_in_guard.challenge_session(email, body["session"])
        if not session:  # cut, made up, or begun by another address's one-time password
            raise SignInRefused(400, "invalid_request", MALFORMED_SESSION)
        return cognito.new_password(email, session, body["new_password"])

    return _counted(email, answer)


@console.route(REFRESH, methods=["POST"])
@_signing_in
def refresh(cognito: CognitoSignIn) -> tuple[SignInResult, str]:
    token = _body({"refresh_token": str})["refresh_token"]
    return _counted("", lambda: cognito.refresh(token))
