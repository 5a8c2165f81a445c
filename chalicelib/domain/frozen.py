"""`@frozen`: a frozen dataclass whose creation compiles one method instead of six.

Python 3.11's `dataclass` writes each method it generates as source text and compiles it
with its own `exec` when the class is created: `@dataclass(frozen=True)` compiles six
(`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), about 4M
instructions per class, and a Lambda cold start pays that again for every record in every
module `app.py` and the first service import (bench cold, issue 12: a quarter of what
inbound adds to a cold start). `@frozen` lets `dataclass` compile `__init__` alone and
gives the class the other five as functions compiled once, with this module, that read
the class's fields:

- equal when the other is of the same class and the compared fields are equal; the hash
  of the hashed fields; dataclasses' repr (its rules for `compare`, `hash` and `repr`);
- a field is set once, by `__init__`: setting it again, deleting it or setting any other
  attribute raises `dataclasses.FrozenInstanceError`, as on a frozen dataclass
  (`object.__setattr__` in `__post_init__` still works, as there).

`dataclasses.fields`, `replace` and `asdict` see an ordinary dataclass; type checkers
read `@frozen` as `@dataclass(frozen=True)` (PEP 681). No field may be `init=False`
without a `default_factory`: `__init__` would not set it, so nothing would freeze it.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, cast, dataclass_transform

_T = TypeVar("_T")


def _values(names: list[str]) -> Callable[[Any], Any]:
    """The named fields' values of an instance, as one comparable and hashable value."""
    if not names:
        return lambda _: ()
    return attrgetter(*names)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[_T]) -> type[_T]:
    made = dataclass(cls, eq=False, repr=False)
    own = fields(cast(Any, made))
    unset = [f.name for f in own if not f.init and f.default_factory is MISSING]
    if unset:
        raise TypeError(f"@frozen {cls.__qualname__}: {unset} would never be set; use dataclass(frozen=True)")
    names = frozenset(f.name for f in own)
    compared = _values([f.name for f in own if f.compare])
    hashed = _values([f.name for f in own if (f.compare if f.hash is None else f.hash)])
    shown = [f.name for f in own if f.repr]

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if name in self.__dict__ or name not in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self: Any, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(compared(self) == compared(other))

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown_fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({shown_fields})"

    for method in (__setattr__, __delattr__, __eq__, __hash__, __repr__):
        if made.__dict__.get(method.__name__) is None:  # the class's own come first, as in dataclasses
            method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
            setattr(made, method.__name__, method)
    return made
