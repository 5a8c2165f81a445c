"""moto 5.2.5's DynamoDB responses: item attribute values written out directly.

moto serializes a response by walking the operation's output shape, and at every member of
every structure asks its attribute picker for the value under up to six aliases (each alias
provider an object, each key path a string join). An item attribute value is a structure of
ten members (S, N, B, SS, NS, BS, M, L, NULL, BOOL) of which one is set: a Query returning six
small items made 37,000 picker calls, three quarters of the request's server side; responses
were a tenth of `inbound up`'s CPU in a burst.

A value here is what moto's own walk makes of it, computed directly: the one member's value
(strings and numbers as `str`, binaries base64 as moto encodes them, booleans as they are,
maps and lists value by value), when the value is a plain one-member dict of those types (what
moto's `dynamo_to_dict` gives) and moto adds no response transformer. Anything else (several
members, an unknown one, another type) takes moto's walk.
"""

from __future__ import annotations

import base64
from typing import Any

_installed = False
_SCALARS = {"S": str, "N": str, "BOOL": bool, "NULL": bool}
_SETS = ("SS", "NS")


class _NotPlain(Exception):
    """A value moto's walk must serialize (it is not a plain attribute value)."""


def _base64(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes | bytearray):
        raise _NotPlain
    return base64.b64encode(value).strip().decode("utf-8")


def attribute_value(value: Any) -> dict[str, Any]:
    """The JSON moto's serializer writes for one AttributeValue (raises _NotPlain otherwise)."""
    if type(value) is not dict or len(value) != 1:
        raise _NotPlain
    ((kind, inner),) = value.items()
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        if type(inner) is not scalar:
            raise _NotPlain
        return {kind: inner}
    if kind in _SETS:
        if type(inner) is not list or any(type(v) is not str for v in inner):
            raise _NotPlain
        return {kind: list(inner)}
    if kind == "M" and type(inner) is dict:
        return {"M": {name: attribute_value(v) for name, v in inner.items()}}
    if kind == "L" and type(inner) is list:
        return {"L": [attribute_value(v) for v in inner]}
    if kind == "B":
        return {"B": _base64(inner)}
    if kind == "BS" and type(inner) is list:
        return {"BS": [_base64(v) for v in inner]}
    raise _NotPlain


def install() -> None:
    """Patch moto's JSON response serializer in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.core.serialize import BaseJSONSerializer

    walk = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and self.service_model.service_name == "dynamodb"
            and not getattr(self._value_picker, "response_transformers", None)
        ):
            try:
                plain = attribute_value(value)
            except _NotPlain:
                pass
            else:
                self._default_serialize(serialized, plain, shape, key)
                return
        walk(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = serialize_structure  # type: ignore[method-assign]
    _installed = True
