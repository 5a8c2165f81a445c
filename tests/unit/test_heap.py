"""inbound up's garbage collector once the stack is up (inbound/local/heap.py).

GIVEN a process holding long-lived objects, WHEN it settles, THEN they are out of the
collector's walks (frozen), full collections are spaced out, and garbage cycles made
afterwards are still collected.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from inbound.local import heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    gc.enable()


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_what_exists_at_settling_is_frozen_and_later_cycles_are_still_collected(restored_gc):
    held = [{"n": n} for n in range(1000)]  # the stack's long-lived state

    heap.settle()
    a, b = _Node(), _Node()
    a.other, b.other = b, a  # a cycle made after start, then dropped
    gone = weakref.ref(a)
    del a, b
    gc.collect()

    assert gc.get_freeze_count() >= len(held)
    assert gc.get_threshold()[2] == heap.FULL_EVERY
    assert gone() is None


def test_nothing_is_collected_while_starting_and_settling_collects_what_it_left(restored_gc):
    heap.hold()
    a, b = _Node(), _Node()
    a.other, b.other = b, a  # start-up's garbage: a cycle nothing refers to
    gone = weakref.ref(a)
    del a, b
    kept = [_Node() for _ in range(100_000)]  # far past every generation's threshold

    assert not gc.isenabled()
    assert gone() is not None

    heap.settle()

    assert gc.isenabled()
    assert gone() is None
    assert len(kept) == 100_000
