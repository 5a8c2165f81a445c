"""`@frozen` behaves as `@dataclass(frozen=True)` for everything inbound's records use:
GIVEN the same class body made both ways, WHEN each is built, compared, hashed, shown,
changed, copied and pickled, THEN they answer alike (chalicelib/domain/frozen.py)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import FrozenInstanceError, dataclass, field

import pytest

from chalicelib.domain.frozen import frozen


def _body() -> dict:
    return {
        "__annotations__": {
            "name": "str",
            "count": "int",
            "tags": "tuple[str, ...]",
            "note": "str",
            "cache": "dict[str, int]",
            "seen": "int",
        },
        "__module__": __name__,
        "__qualname__": "Rec",
        "count": 0,
        "tags": (),
        "note": field(default="", compare=False, repr=False),
        "cache": field(default_factory=dict, compare=False, hash=False),
        "seen": field(default=0, hash=False),
    }


Real = dataclass(frozen=True)(type("Rec", (), _body()))
Ours = frozen(type("Rec", (), _body()))

# Defined at module level so pickle finds them by name.


@frozen
class Pickled:
    name: str
    tags: tuple[str, ...] = ()


@frozen
class Normalised:
    address: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", self.address.lower())


@pytest.mark.parametrize("kind", [Real, Ours], ids=["dataclass", "frozen"])
def test_equality_hash_and_repr_follow_the_fields_rules(kind: type) -> None:
    a = kind("a", 1, ("x",), note="one", cache={"k": 1})
    same = kind("a", 1, ("x",), note="two", cache={})  # note and cache are not compared

    assert a == same and hash(a) == hash(same)
    assert a != kind("a", 2, ("x",)) and a != kind("b", 1, ("x",))
    assert (a == ("a", 1, ("x",))) is False  # another class is never equal
    assert kind("a", seen=1) != kind("a", seen=2)  # compared, though not hashed
    assert hash(kind("a", seen=1)) == hash(kind("a", seen=2))
    assert repr(a) == "Rec(name='a', count=1, tags=('x',), cache={'k': 1}, seen=0)"  # note has repr=False
    assert len({a, same, kind("b")}) == 2


def test_both_kinds_answer_alike() -> None:
    args = ("a", 1, ("x",))
    for real, ours in ((Real(*args), Ours(*args)), (Real("b"), Ours("b"))):
        assert repr(real) == repr(ours)
        assert dataclasses.astuple(real) == dataclasses.astuple(ours)
        assert [f.name for f in dataclasses.fields(real)] == [f.name for f in dataclasses.fields(ours)]


@pytest.mark.parametrize("kind", [Real, Ours], ids=["dataclass", "frozen"])
def test_nothing_can_be_changed_after_init(kind: type) -> None:
    a = kind("a", 1)

    with pytest.raises(FrozenInstanceError):
        a.name = "b"
    with pytest.raises(FrozenInstanceError):
        a.extra = 1  # not a field
    with pytest.raises(FrozenInstanceError):
        del a.count
    with pytest.raises(FrozenInstanceError):
        a.tags = ("y",)  # set by its default, not by the caller
    assert (a.name, a.count, a.tags) == ("a", 1, ())


@pytest.mark.parametrize("kind", [Real, Ours], ids=["dataclass", "frozen"])
def test_replace_makes_a_new_record_and_keeps_the_old(kind: type) -> None:
    a = kind("a", 1)
    b = dataclasses.replace(a, count=2)

    assert (a.count, b.count, b.name) == (1, 2, "a")
    with pytest.raises(FrozenInstanceError):
        b.count = 3


def test_post_init_may_normalise_through_object_setattr() -> None:
    assert Normalised("Ann@Example.COM").address == "ann@example.com"


def test_copies_and_pickles_are_equal_and_still_frozen() -> None:
    a = Pickled("a", ("x",))
    for again in (copy.copy(a), copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert again == a and again is not a
        with pytest.raises(FrozenInstanceError):
            again.name = "b"


def test_a_field_init_would_never_set_is_refused() -> None:
    body = {"__annotations__": {"x": "int"}, "__module__": __name__, "x": field(default=0, init=False)}
    with pytest.raises(TypeError, match="would never be set"):
        frozen(type("Unset", (), body))
