"""Named points between two of the local stack's writes, where a test can have `inbound up`
killed: INBOUND_CRASH_AT=NAME (or NAME:N, the Nth time) sends SIGKILL to this process the
moment it reaches NAME, as a kill -9 or a power cut there would stop it (the Lambda
containers die with it). tests/e2e/test_crash_points.py kills at each and checks that a
restart loses no mail and sends none twice. Unset, a point is one dictionary look-up.

- `journaled`: an accepted mail is durable in the journal; it is not in S3 yet, and its
  sender has no `250` (so it sends the mail again).
- `saved-sends`: a snapshot (state.json) that lets sends go is on disk; nothing after it
  yet: the journal entries and SES files it holds are not retired, its sends not released.
- `ses-files`: what SES does after those sends (events, mail back) is on disk; the outbox
  lists none of them yet.
- `outbox-file`: a send's .eml is in the outbox; the index does not list it yet.
- `published`: a send's events are on the feedback queue (moto's memory); no snapshot
  holds them yet, and their file is still there.
- `saved-published`: a snapshot that holds events on the feedback queue is on disk; their
  file is still there (a start must not publish them again).
- `mailed-back`: mail the emulated SES handed back to the SMTP listener was answered 250;
  its file is still there.
"""

from __future__ import annotations

import os
import signal
import threading

_counts: dict[str, int] = {}
_lock = threading.Lock()


def reached(name: str) -> None:
    wanted = os.environ.get("INBOUND_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    with _lock:
        _counts[name] = _counts.get(name, 0) + 1
        if _counts[name] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)
