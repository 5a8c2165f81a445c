"""How often a function runs during an action: a cost counted by a profile hook, never by a clock."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def calls_of(function: Any, action: Callable[[], Any]) -> int:
    """How often `function` ran during `action()` in this thread."""
    code, seen = function.__code__, [0]

    def hook(frame: Any, event: str, _: Any) -> None:
        if event == "call" and frame.f_code is code:
            seen[0] += 1

    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
    return seen[0]
