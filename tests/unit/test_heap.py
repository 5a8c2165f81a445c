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
