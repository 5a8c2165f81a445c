"""botocore's service model constraints, compiled once per operation into a checker: enum
values, maximum lengths (strings, lists, maps, blobs), numeric maximums and patterns of the
operation's input shape. A checker appends one line per problem, as AWS words them; values
of the wrong type are left to botocore's own validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from inbound.local.aws_contract.patterns import translate_pattern

Check = Callable[[Any, str, list[str]], None]


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


def operation_check(model: Any) -> Check | None:
    service = model.service_model
    key = (service.service_name, service.api_version, model.name)
    if key not in _operations:
        shape = model.input_shape
        _operations[key] = _compile(shape, {}) if shape is not None else None
    return _operations[key]
