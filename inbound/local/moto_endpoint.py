"""moto's server for the local stack: loopback only, closed to web pages, signed requests only.

moto's own server (`ThreadedMotoServer`) binds where it is told and answers every
request, with flask-cors reflecting any `Origin`: a web page open in the user's browser
could read tickets, mail and the reply-token secret from it, or change them with a form
POST (SNS, SQS and SES speak the query protocol, which a form can send). The local
stack's data is real customer mail, so the endpoint it runs is narrowed:

- it listens on 127.0.0.1 only, whatever `inbound up --host` says (that option is for
  the SMTP listener and the staff console);
- a request carrying `Origin` (every cross-origin request a browser sends, and every
  same-origin POST), but the console's presigned POST of a reply attachment (browser_uploads:
  only from an origin the bucket's CORS rule names, only as S3 would take the form), one a browser marks `Sec-Fetch-Site: cross-site` (a page's `<img>`
  or `<iframe>` GET, which has no Origin) and every `OPTIONS` preflight are refused, and no response carries
  an `Access-Control-*` header: the browser lets no page read an answer;
- the `Host` header must name loopback, so a DNS-rebinding page (evil.test resolved to
  127.0.0.1) is refused too;
- a request must be signed (SigV4 `Authorization`, or a presigned link's credential),
  or be one of the unsigned JSON operations AWS allows (Cognito's `InitiateAuth`...),
  which carry `X-Amz-Target`: a header a browser cannot add to a cross-origin request
  without the preflight refused above. The signature itself is not checked: every
  client of the local stack signs with the same offline credentials, so there is no
  secret to check it against.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from inbound.local import browser_uploads
from inbound.local.browser_uploads import is_form_upload

LOOPBACK = "127.0.0.1"
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
_SIGNED_QUERY = ("X-Amz-Credential=", "AWSAccessKeyId=")  # presigned links (SigV4, SigV2)


def refusal(environ: dict[str, Any]) -> str:
    """Why this request may not reach moto, or "" when it may."""
    if environ.get("HTTP_ORIGIN") is not None or environ.get("REQUEST_METHOD") == "OPTIONS":
        return "requests from web pages are not served"
    # A page's <img>/<script>/<iframe> GET carries no Origin, but browsers name its site in
    # Sec-Fetch-Site; the console's own links (another port of this host) are same-site.
    if str(environ.get("HTTP_SEC_FETCH_SITE", "")).lower() == "cross-site":
        return "requests from web pages are not served"
    if not _loopback_host(environ):
        return f"Host {environ.get('HTTP_HOST', '')!r} is not loopback"
    signed = str(environ.get("HTTP_AUTHORIZATION", "")).startswith(("AWS4-HMAC-SHA256 ", "AWS "))
    query = str(environ.get("QUERY_STRING", ""))
    presigned = any(marker in query for marker in _SIGNED_QUERY)
    if not (signed or presigned or environ.get("HTTP_X_AMZ_TARGET")):
        return "unsigned request"
    return ""


def _loopback_host(environ: dict[str, Any]) -> bool:
    host = str(environ.get("HTTP_HOST", ""))
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.lower() in _LOOPBACK_NAMES


class Guard:
    """WSGI middleware in front of moto's application (see the module docstring)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if is_form_upload(environ) and _loopback_host(environ):  # the console's reply attachments
            return browser_uploads.handle(environ, start_response, self.app)
        why = refusal(environ)
        if why:
            body = f"refused by the local stack: {why}\n".encode()
            start_response(
                "403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]

        def no_cors(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, *exc_info)

        return self.app(environ, no_cors)


@contextlib.contextmanager
def serve(port: int = 0) -> Iterator[str]:
    """moto's application behind the guard, on 127.0.0.1, in a thread; yields its endpoint URL.
    Clients in this process reach the same application without the socket (`moto_direct`)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from inbound.local import moto_direct
    from inbound.local.moto_dispatch import Direct

    dispatcher = DomainDispatcherApplication(create_backend_app)
    # moto resolves the service of every request under one lock, listing its own package
    # folder (a stat per entry) and matching hundreds of URL patterns: the same answer
    # for the same host each time, so it is remembered.
    dispatcher.get_backend_for_host = functools.lru_cache(maxsize=256)(  # type: ignore[method-assign]
        dispatcher.get_backend_for_host
    )
    app = Guard(Direct(dispatcher))
    # werkzeug answers a port in use by printing two lines and sys.exit(1); bound here first,
    # it is an OSError the caller can act on (another port; one line saying what to do).
    with socket.create_server((LOOPBACK, port), backlog=128) as listener:
        server = make_server(
            LOOPBACK, port, app, threaded=True, request_handler=MotoRequestHandler, fd=listener.fileno()
        )
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    endpoint = f"http://{LOOPBACK}:{server.port}"
    moto_direct.route(endpoint, app)
    try:
        yield endpoint
    finally:
        moto_direct.unroute(endpoint)
        server.shutdown()
        server.server_close()
        thread.join()
