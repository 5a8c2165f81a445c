"""The AWS contract: a botocore hook that refuses what real AWS refuses and moto lets through.

moto accepts requests that AWS answers with a validation error, so code that builds
such a request passes every test and fails in an account. On in every test
(tests/conftest.py), in `inbound up` and in the embedded stack, this hook checks each
request before it is sent:

- the constraints of botocore's own service model for the operation's input: enum
  values, maximum lengths (strings, lists, maps, blobs), numeric maximums and patterns.
  botocore's ParamValidator (botocore/validate.py) already checks types, required
  members and minimums of strings, lists and numbers, so those are left to it;
- the service rules the models do not carry (inbound/local/aws_contract/service_rules.py).

A refusal is a `ContractViolation`, a ClientError with the code that service answers
validation failures with, so adapters' error mapping runs as it would against AWS.

It hooks `before-parameter-build`, registered last: the params are still the API's
own (Key, Item, Destinations) and every other handler (idempotency tokens, boto3's
DynamoDB resource transforms) has filled them in. That is before botocore's own type
validation, so every check here tolerates values of the wrong type (botocore reports those).
Each operation's checker is compiled once from its input shape and cached; shapes
without constraints compile to nothing and are never walked.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from inbound.local.aws_contract import service_rules
from inbound.local.aws_contract.patterns import translate_pattern

log = logging.getLogger(__name__)

EVENT = "before-parameter-build"

# The error code each service answers a constraint violation with. Query services
# (SES v1, CloudWatch, STS) answer Coral's ValidationError, JSON ones
# ValidationException; these services use their own.
_SERVICE_CODES = {
    "s3": "InvalidArgument",
    "sesv2": "BadRequestException",
    "cognito-idp": "InvalidParameterException",
    "sns": "InvalidParameter",
    "sqs": "InvalidParameterValue",
}
_PROTOCOL_CODES = {"query": "ValidationError", "ec2": "InvalidParameterValue"}

Check = Callable[[Any, str, list[str]], None]


class ContractViolation(ClientError):
    """AWS would refuse this request (`rule` names the rule); moto would have accepted it."""

    def __init__(self, code: str, message: str, operation: str, rule: str) -> None:
        text = f"{message} [aws contract: {rule}]"
        response: Any = {
            "Error": {"Code": code, "Message": text},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        super().__init__(response, operation)
        self.rule = rule
        for refused in _recorders:
            refused.append(f"{operation}: {text}")


_recorders: list[list[str]] = []


@contextlib.contextmanager
def recording() -> Iterator[list[str]]:
    """Every refusal made while the block runs, even one the code under test caught and handled."""
    refused: list[str] = []
    _recorders.append(refused)
    try:
        yield refused
    finally:
        _recorders.remove(refused)


def validation_code(service_model: Any) -> str:
    name = service_model.service_name
    if name in _SERVICE_CODES:
        return _SERVICE_CODES[name]
    if "awsQueryCompatible" in service_model.metadata:  # a query service moved to JSON/CBOR keeps its codes
        return "ValidationError"
    return _PROTOCOL_CODES.get(service_model.protocol, "ValidationException")


# -- the model's constraints, compiled once per shape into a checker --


def _show(value: Any, shape: Any) -> str:
    """The value as AWS quotes it; a sensitive one (a password, a secret) never, as in AWS."""
    if shape.metadata.get("sensitive"):
        return "at"
    text = repr(value)
    return f"{text if len(text) <= 60 else text[:57] + '...'} at"


def _limit_check(shape: Any, measure: Callable[[Any], Any], what: str, types: Any) -> Check | None:
    # botocore checks the minimum of strings, lists and numbers itself; not of maps or blobs.
    low = shape.metadata.get("min") if what in ("map size", "blob length") else None
    high = shape.metadata.get("max")
    if low is None and high is None:
        return None

    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, types) or isinstance(value, bool):
            return
        size = measure(value)
        if high is not None and size > high:
            bound = f"less than or equal to {high}"
        elif low is not None and size < low:
            bound = f"greater than or equal to {low}"
        else:
            return
        problems.append(
            f"Value {_show(value, shape)} '{path}' failed to satisfy constraint: Member must have {what} {bound}"
        )

    return check


def _string_check(shape: Any) -> Check | None:
    checks = [c for c in (_limit_check(shape, len, "length", str),) if c]
    enum = shape.metadata.get("enum")
    if enum:
        allowed = frozenset(enum)

        def in_enum(value: Any, path: str, problems: list[str]) -> None:
            if isinstance(value, str) and value not in allowed:
                problems.append(
                    f"Value {_show(value, shape)} '{path}' failed to satisfy constraint: "
                    f"Member must satisfy enum value set: [{', '.join(enum)}]"
                )

        checks.append(in_enum)
    pattern = shape.metadata.get("pattern")
    regex = _pattern(pattern) if pattern else None
    if regex is not None:

        def matches(value: Any, path: str, problems: list[str]) -> None:
            if isinstance(value, str) and not regex.fullmatch(value):
                problems.append(
                    f"Value at '{path}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {pattern}"
                )

        checks.append(matches)
    return _all(checks)


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    return translate_pattern(pattern)


def _blob_size(value: Any) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else len(value)


def _all(checks: list[Check]) -> Check | None:
    if len(checks) <= 1:
        return checks[0] if checks else None

    def check(value: Any, path: str, problems: list[str]) -> None:
        for one in checks:
            one(value, path, problems)

    return check


def _skip(value: Any, path: str, problems: list[str]) -> None:
    return None


def _compile(shape: Any, memo: dict[str, Check | None]) -> Check | None:
    """A checker of `shape`'s constraints, or None when it has none (then it is never walked)."""
    name = shape.name
    if name in memo:
        if memo[name] is _skip:  # still compiling: a recursive shape (DynamoDB's AttributeValue)
            return lambda value, path, problems: (memo[name] or _skip)(value, path, problems)
        return memo[name]
    memo[name] = _skip
    kind = shape.type_name
    compiled: Check | None = None
    if kind == "structure":
        compiled = _structure(shape, memo)
    elif kind == "list":
        compiled = _list(shape, memo)
    elif kind == "map":
        compiled = _map(shape, memo)
    elif kind == "string":
        compiled = _string_check(shape)
    elif kind in ("integer", "long", "double", "float"):
        compiled = _limit_check(shape, lambda v: v, "value", (int, float))
    elif kind == "blob":
        compiled = _limit_check(shape, _blob_size, "blob length", (bytes, bytearray, str))
    memo[name] = compiled
    return compiled


def _structure(shape: Any, memo: dict[str, Check | None]) -> Check | None:
    members = [(name, _compile(member, memo)) for name, member in shape.members.items()]
    checked = [(name, check) for name, check in members if check is not None]
    if not checked:
        return None

    def check(value: Any, path: str, problems: list[str]) -> None:
        if isinstance(value, dict):
            for name, member_check in checked:
                if name in value:
                    member_check(value[name], f"{path}.{name}" if path else name, problems)

    return check


def _list(shape: Any, memo: dict[str, Check | None]) -> Check | None:
    own = _limit_check(shape, len, "length", (list, tuple))
    member = _compile(shape.member, memo)
    if member is None:
        return own
    each_member = member

    def each(value: Any, path: str, problems: list[str]) -> None:
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                each_member(item, f"{path}.{index + 1}.member", problems)

    return _all([c for c in (own, each) if c])


def _map(shape: Any, memo: dict[str, Check | None]) -> Check | None:
    own = _limit_check(shape, len, "map size", dict)
    key_check, value_check = _compile(shape.key, memo), _compile(shape.value, memo)
    if key_check is None and value_check is None:
        return own

    def each(value: Any, path: str, problems: list[str]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key_check is not None:
                    key_check(key, f"{path}.key", problems)
                if value_check is not None:
                    value_check(item, f"{path}.{key}", problems)

    return _all([c for c in (own, each) if c])


_operations: dict[tuple[str, str, str], Check | None] = {}


def _operation_check(model: Any) -> Check | None:
    service = model.service_model
    key = (service.service_name, service.api_version, model.name)
    if key not in _operations:
        shape = model.input_shape
        _operations[key] = _compile(shape, {}) if shape is not None else None
    return _operations[key]


# -- the hook --


def check_request(model: Any, params: Any, context: Any = None, **_kwargs: Any) -> None:
    """The `before-parameter-build` handler: raises ContractViolation for a request AWS refuses."""
    check = _operation_check(model)
    problems: list[str] = []
    if check is not None:
        check(params, "", problems)
    if problems:
        detected = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
        code = validation_code(model.service_model)
        raise ContractViolation(code, detected + "; ".join(problems), model.name, "model")
    refusal = service_rules.check(model, params, context or {})
    if refusal is not None:
        service_code, rule, message = refusal
        code = service_code or validation_code(model.service_model)
        raise ContractViolation(code, message, model.name, rule)


def register(session: Any) -> None:
    """On for one existing session (boto3's or botocore's) and the clients it creates from now on."""
    core = getattr(session, "_session", session)  # a boto3 Session wraps a botocore one
    core.get_component("event_emitter").register_last(EVENT, check_request, unique_id=__name__)


def install() -> None:
    """On for every botocore session created in this process from now on (idempotent).

    botocore registers `handlers.BUILTIN_HANDLERS` on each session it creates (moto adds
    its own stubber the same way); boto3's default session, if it exists already, is
    registered directly.
    """
    import boto3
    from botocore import handlers

    spec = (EVENT, check_request, handlers.REGISTER_LAST)
    if spec not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(spec)
    if boto3.DEFAULT_SESSION is not None:
        register(boto3.DEFAULT_SESSION)
