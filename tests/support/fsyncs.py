"""Which files and directories an action fsynced: a profile hook on `os.fsync`, never a patch."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _path_of(frame: Any) -> Path | None:
    """The path behind the descriptor the calling frame hands to os.fsync (`fd`, or a file)."""
    for value in frame.f_locals.values():
        fd = value if isinstance(value, int) and not isinstance(value, bool) else None
        if fd is None and hasattr(value, "fileno") and not getattr(value, "closed", True):
            fd = value.fileno()
        if fd is not None and fd > 2:
            try:
                return Path(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                continue
    return None


def fsynced(action: Callable[[], Any]) -> list[Path]:
    """The paths os.fsync ran on during `action()` in this thread, in order."""
    seen: list[Path] = []

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "c_call" and arg is os.fsync and (path := _path_of(frame)) is not None:
            seen.append(path)

    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
    return seen
