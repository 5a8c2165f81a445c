"""The one request a web page may make of the local stack's moto server: the console's
presigned POST of a reply attachment (chalicelib/adapters/s3_uploads.py).

moto_endpoint's guard refuses every request that carries an `Origin`; a browser sends one
with this cross-origin form POST. It passes here only when S3 in an account would take it:

- the target is a bucket (`POST /<bucket>`) whose CORS configuration allows the page's
  origin and POST: provision writes that rule for the console's origin (inbound/stage/
  documents.upload_cors), `inbound up` for its own console URL; the answer then carries
  `Access-Control-Allow-Origin` for that origin only, as S3 adds it;
- the form meets its policy as AWS judges it (inbound/local/s3_post_policy.py), which moto
  does not check at all;
- and, locally, the key is under `uploads/`: the offline signing secret is no secret, so a
  page could sign its own policy; only the console's origin can post at all, and to no
  other prefix of the mail.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from inbound.local.s3_post_policy import PostRefusal, check

UPLOAD_PREFIX = "uploads/"
MAX_FORM_BYTES = 64 * 1024 * 1024  # beyond any upload the console is given a form for


def is_form_upload(environ: dict[str, Any]) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "POST"
        and environ.get("HTTP_ORIGIN") is not None
        and str(environ.get("CONTENT_TYPE", "")).lower().startswith("multipart/form-data")
    )


def _allowed_origins(bucket: str) -> set[str]:
    """The origins the bucket's CORS rules allow to POST (moto keeps the rules; S3 applies them)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends

    try:
        rules = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_bucket(bucket).cors
    except MissingBucket:
        return set()
    return {o for r in rules if "POST" in (r.allowed_methods or []) for o in (r.allowed_origins or [])}


def _answer(
    start_response: Callable[..., Any], status: int, reason: str, body: bytes, cors: list[tuple[str, str]]
) -> Iterable[bytes]:
    headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body))), *cors]
    start_response(f"{status} {reason}", headers)
    return [body]


def _error(
    start_response: Callable[..., Any], refusal: PostRefusal, cors: list[tuple[str, str]]
) -> Iterable[bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(refusal.code)}</Code>'
        f"<Message>{escape(refusal.message)}</Message></Error>"
    ).encode()
    reason = "Forbidden" if refusal.status == 403 else "Bad Request"
    return _answer(start_response, refusal.status, reason, body, cors)


def handle(
    environ: dict[str, Any], start_response: Callable[..., Any], app: Callable[..., Iterable[bytes]]
) -> Iterable[bytes]:
    """Judge one browser form POST; pass it to moto with S3's CORS answer, or refuse it."""
    from werkzeug.formparser import parse_form_data

    origin = str(environ["HTTP_ORIGIN"])
    bucket = str(environ.get("PATH_INFO", "")).strip("/")
    if not bucket or "/" in bucket or origin not in _allowed_origins(bucket):
        return _error(
            start_response, PostRefusal(403, "AccessDenied", "CORS: this origin may not post here"), []
        )
    cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_FORM_BYTES:
        return _error(start_response, PostRefusal(400, "EntityTooLarge", "the form is too large"), cors)
    body = environ["wsgi.input"].read(length)
    parsed = dict(environ, **{"wsgi.input": io.BytesIO(body)})
    _, form, files = parse_form_data(parsed)
    upload = files.get("file")
    if upload is None:
        return _error(
            start_response, PostRefusal(400, "InvalidArgument", "POST requires exactly one file"), cors
        )
    size = len(upload.stream.read())
    fields = {name: form[name] for name in form}
    refusal = check(fields, size, bucket, datetime.now(UTC), os.environ.get("AWS_SECRET_ACCESS_KEY", ""))
    if refusal is None and not fields.get("key", "").startswith(UPLOAD_PREFIX):
        refusal = PostRefusal(
            403, "AccessDenied", f"the local stack takes browser uploads under {UPLOAD_PREFIX} only"
        )
    if refusal is not None:
        return _error(start_response, refusal, cors)
    environ["wsgi.input"] = io.BytesIO(body)

    def with_cors(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
        kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
        return start_response(status, kept + cors, *exc_info)

    return app(environ, with_cors)
