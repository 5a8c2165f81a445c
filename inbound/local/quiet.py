"""How `inbound up` holds its workers still while the local state is saved (`state`): a
snapshot taken inside `still()` never holds half a delivery."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class Quiet:
    """Workers run inside `busy()` (not nested); `still()` waits until none runs, holding new ones."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = 0
        self._held = False
        self.done = 0  # units of work finished so far: unchanged means nothing to save

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._held)
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self.done += 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def still(self) -> Iterator[None]:
        with self._cond:
            self._held = True
            self._cond.wait_for(lambda: self._busy == 0)
        try:
            yield
        finally:
            with self._cond:
                self._held = False
                self._cond.notify_all()
