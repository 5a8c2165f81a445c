"""In-process requests to the local stack's moto, without the loopback socket.

`inbound up` runs moto's server in its own process's threads, and the Lambda handlers,
the SMTP listener and the snapshot talk to it through botocore like any client. Over
the socket each of a burst's ~28 AWS requests per mail was paid twice more than its
work: urllib3 writing and reading HTTP on the client side, werkzeug's server parsing
it again on a new thread. Clients in the same process hand the request botocore has
prepared (signed, its body serialized: exactly the bytes it would send) to the same
WSGI application the socket serves (`moto_endpoint.Guard` in front of moto's
dispatcher) from botocore's `before-send` event, and get its answer back as the
response botocore would have read. Everything above the transport (the AWS contract
hook, retries, parsing, moto's handlers and the local patches) is unchanged; other
processes (`inbound tickets`, the console's presigned links, tests) still use the socket.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

_WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_routes: dict[str, _WsgiApp] = {}  # endpoint URL -> its application, while it is served
_EVENT = "before-send"


class _Body(io.BytesIO):
    """A response body botocore can read whole or as a stream (S3 GetObject's Body)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read(1 << 16)
        while chunk:
            yield chunk
            chunk = self.read(1 << 16)


def body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    data = body.read()  # a file-like body (S3 uploads): what the socket would have carried
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def environ_of(request: Any, body: bytes) -> dict[str, Any]:
    """The WSGI environ werkzeug's server (moto's request handler) makes of this request."""
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )

    url = urlsplit(request.url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _unquoted_path(url.path or "/"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "127.0.0.1",
        "SERVER_PORT": str(url.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "REQUEST_URI": url.path + (f"?{url.query}" if url.query else ""),
        "RAW_URI": url.path + (f"?{url.query}" if url.query else ""),
        "HTTP_HOST": url.netloc,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    names: dict[str, str] = {}
    for name, raw in request.headers.items():
        value = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
        if name.lower() in ("content-length", "transfer-encoding", "expect"):
            continue  # the body is whole here: its length is known, nothing is sent in chunks
        key = environ_key_for_header(name)
        if "_" in name:
            # werkzeug's server drops underscored names, moto's handler keeps S3 metadata's
            if not should_preserve_original_header_name(name):
                continue
            names.setdefault(key, name)
        environ[key] = f"{environ[key]},{value}" if key in environ and key.startswith("HTTP_") else value
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
    return environ


def _unquoted_path(path: str) -> str:
    """PATH_INFO is the decoded path, as werkzeug's server gives it (WSGI: latin-1 text)."""
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(path).decode("latin-1")


def answer(request: Any) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """Status, headers and body the served endpoint's application gives this prepared request
    (anything with botocore's `method`, `url`, `headers` and `body`); None when no endpoint
    served here has its URL. `lambda_containers` answers its worker processes' requests here."""
    url = str(request.url)
    app = next((a for endpoint, a in list(_routes.items()) if url.startswith(endpoint + "/")), None)
    if app is None:
        return None
    body = body_bytes(request.body)
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], None]:
        started["status"], started["headers"] = int(status.split(" ", 1)[0]), headers
        return lambda _data: None

    chunks = app(environ_of(request, body), start_response)
    try:
        content = b"".join(chunks) if request.method != "HEAD" else b""
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return started["status"], list(started["headers"]), content


def aws_response(url: str, status: int, headers: list[tuple[str, str]], content: bytes) -> Any:
    """The response botocore would have read from the socket."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    fields = HTTPHeaders()
    for name, value in headers:
        fields[name] = value
    return AWSResponse(url, status, fields, _Body(content))


def _send(request: Any, **_: Any) -> Any:
    """botocore `before-send`: answer a request for a served endpoint from its application."""
    answered = answer(request)
    if answered is None:
        return None  # not ours: botocore sends it
    return aws_response(str(request.url), *answered)


def route(endpoint: str, app: _WsgiApp) -> None:
    """From now on, this process's botocore clients of `endpoint` call `app` directly."""
    from botocore import handlers

    if (_EVENT, _send) not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append((_EVENT, _send))
    _routes[endpoint.rstrip("/")] = app


def unroute(endpoint: str) -> None:
    _routes.pop(endpoint.rstrip("/"), None)
