"""Decoding staff requests and turning inbound's errors into JSON responses.

Every error body is `{"error": <stable code>, "reason": <text for people>}`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from chalice import Response

from chalicelib import errors
from chalicelib.domain import audit
from chalicelib.domain.refusals import INVALID_REQUEST, RefusalReason
from chalicelib.domain.tickets import STATUSES

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_PATH_PARAMETER_BYTES = 512  # ticket ids and suspended keys are far shorter


def error(
    status: int,
    code: str,
    reason: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    # Said outright: a Response built here gets no Content-Type from Chalice, and the local
    # server (`inbound up`) would send none, leaving a client to guess what the reason holds.
    sent: dict[str, str | list[str]] = {"Content-Type": "application/json", **(headers or {})}
    body = {"error": code, "reason": reason, **(extra or {})}
    return Response(body=body, status_code=status, headers=sent)


def unauthorized(reason: str, code: str = "unauthorized") -> Response:
    return error(401, code, reason, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _send_refused(exc: errors.SendRefused) -> Response:
    status = (
        422 if exc.reason in INVALID_REQUEST else 429 if exc.reason == RefusalReason.RATE_LIMITED else 409
    )
    return error(status, exc.reason, exc.detail)


# The rest by kind; each error's code is its own (errors.py), the word held replies keep too.
_STATUS: tuple[tuple[type[errors.InboundError], int], ...] = (
    (errors.InvalidRequest, 400),
    (errors.MessageNotFound, 404),
    (errors.SavedReplyNotFound, 404),
    (errors.TicketConflict, 409),
    (errors.ConcurrentUpdate, 409),
    (errors.Unauthorized, 401),
    (errors.UnknownAgent, 403),
    (errors.Forbidden, 403),
    (errors.KeysUnavailable, 503),
    (errors.ConfigurationError, 500),
)


# Refusals that say when to ask again. SecretsUnavailable: SSM throttled or out, a moment.
_TRY_LATER: dict[type[errors.InboundError], int] = {
    errors.TooManyAttempts: 429,
    errors.SecretsUnavailable: 503,
}


def response_for(exc: errors.InboundError) -> Response:
    if isinstance(exc, errors.SendRefused):
        return _send_refused(exc)
    if isinstance(exc, errors.Unauthorized):  # AgentDisabled too, by its own code
        return unauthorized(str(exc), exc.code)
    if isinstance(exc, (errors.TooManyAttempts, errors.SecretsUnavailable)):
        return error(_TRY_LATER[type(exc)], exc.code, str(exc), {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, errors.StaleReply):
        # `status`: what a colleague's solving or closing set (the console asks "send anyway?")
        newer = [
            {"key": m.key, "kind": m.kind, "sender": m.sender_name or m.sender, "time": m.received_at}
            | ({"status": set_to} if (set_to := audit.status_set(m)) else {})
            for m in exc.newer
        ]
        return error(409, exc.code, str(exc), extra={"newer": newer})
    if isinstance(exc, errors.AssignedElsewhere):
        return error(409, exc.code, str(exc), extra={"assignee": exc.assignee})
    if isinstance(exc, errors.MergedTicket):
        return error(409, exc.code, str(exc), extra={"merged_into": exc.into})
    if isinstance(exc, errors.TicketNotFound):
        return error(404, exc.code, f"there is no ticket {exc}")
    if isinstance(exc, errors.SuspendedNotFound):
        return error(404, exc.code, f"nothing is suspended as {exc}")
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            if status >= 500:
                log.error("%s: %s", exc.code, exc)
            return error(status, exc.code, str(exc) or exc.code.replace("_", " "))
    raise exc


def answers_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a view raise inbound's errors; they become JSON responses with their status."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        # API Gateway hands over decoded path parameters, Chalice's local server raw ones
        # (a suspended key's "#" arrives as %23); ids and keys never contain "%" themselves.
        try:
            return view(**{name: _path_parameter(name, unquote(value)) for name, value in kwargs.items()})
        except errors.InboundError as exc:
            return response_for(exc)

    return wrapped


def _path_parameter(name: str, value: str) -> str:
    """An id or key from the path. Bounded: they become DynamoDB keys, which refuse more than
    2048 bytes (partition) or 1024 (sort) with an error that is no one's fault but ours."""
    if len(value.encode("utf-8", "surrogatepass")) > MAX_PATH_PARAMETER_BYTES:
        raise errors.InvalidRequest(
            f"path parameter {name!r} is longer than {MAX_PATH_PARAMETER_BYTES} bytes"
        )
    _no_controls(f"path parameter {name!r}", value)
    return value


def json_object(
    request: Any,
    required: Mapping[str, type],
    optional: Mapping[str, type] | None = None,
    free_text: tuple[str, ...] = (),
) -> dict:
    """The request's JSON object, checked: required and optional fields with their types,
    nothing else. Strings outside `free_text` name things (a status, an agent, a tag, a
    ticket) and carry no control characters. InvalidRequest says what is wrong."""
    body = _parsed(request.raw_body or b"")
    optional = optional or {}
    if unknown := sorted(set(body) - set(required) - set(optional)):
        raise errors.InvalidRequest(f"unknown field {unknown[0]!r}")
    if missing := [name for name in required if body.get(name) is None]:
        raise errors.InvalidRequest(f"field {missing[0]!r} is required")
    for name, kind in {**required, **optional}.items():
        value = body.get(name)
        if value is None:
            if name in body:
                body[name] = kind()  # an explicit null empties the field ("" unassigns, [] untags)
            continue
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise errors.InvalidRequest(f"field {name!r} must be {_TYPE_NAMES.get(kind, kind.__name__)}")
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise errors.InvalidRequest(f"field {name!r} must be a list of strings")
        for item in value if isinstance(value, list) else [value]:
            _text(f"field {name!r}", item)
            if name not in free_text:
                _no_controls(f"field {name!r}", item)
    return body


def _parsed(raw: bytes) -> dict:
    if len(raw) > MAX_BODY_BYTES:
        raise errors.InvalidRequest(f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.InvalidRequest(f"body is not JSON: {exc}") from exc
    except RecursionError as exc:  # the decoder recurses once per level: `[[[[...` of 100 KB
        raise errors.InvalidRequest("body is not JSON: nested too deeply") from exc
    if not isinstance(body, dict):
        raise errors.InvalidRequest("body must be a JSON object")
    return body


# C0 and C1 controls: a line break, a NUL or an escape in a name is never meant.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _no_controls(what: str, value: Any) -> None:
    if isinstance(value, str) and _CONTROLS.search(value):
        raise errors.InvalidRequest(f"{what} must not contain control characters (line breaks, NUL)")


def _text(what: str, value: Any) -> None:
    """JSON's `\\ud800` decodes to a lone surrogate, which no UTF-8 write (DynamoDB, a mail,
    a log line) can encode: refused here rather than a 500 wherever it is written."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise errors.InvalidRequest(f"{what} is not text (a lone UTF-16 surrogate)") from exc


_TYPE_NAMES = {str: "a string", list: "a list of strings", int: "a number", bool: "true or false"}


def query_params(request: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    """Single-valued query parameters; InvalidRequest for unknown or repeated ones."""
    params = request.query_params  # a MultiDict, or None when there are none
    if not params:
        return {}
    if unknown := sorted(set(params) - set(allowed)):
        raise errors.InvalidRequest(f"unknown query parameter {unknown[0]!r}; use {', '.join(allowed)}")
    found = {}
    for name in params:
        values = params.getlist(name)
        if len(values) > 1:
            raise errors.InvalidRequest(f"query parameter {name!r} given more than once")
        _no_controls(f"query parameter {name!r}", values[0])
        found[name] = values[0]
    return found


def number(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise errors.InvalidRequest(f"{name} must be a whole number")
    return int(value)


def listed(value: str | None) -> list[str] | None:
    """`new,open` -> ["new", "open"]; `all` -> every status (None stays None)."""
    if value is None or value == "":
        return None
    return list(STATUSES) if value == "all" else [part.strip() for part in value.split(",") if part.strip()]
