"""What the emulated SES does after it accepted a send, kept on disk until it is done.

SES publishes a send's events (Send, Delivery, Bounce, Complaint; later Open and Click)
to the configuration set's SNS topic some time after it accepted the send, and mails the
simulator's out-of-office replies, and mail to the account's own receiving domain, back in.
`ses_sending` hands each of these here; they are written to `<data_dir>/ses-pending/`
before the outbox lists the send, and published from one thread. Written as the journal
writes (temporary file, fsync, rename): a kill -9 keeps what the kernel holds, but a power
cut keeps only what was fsynced, and the outbox line written next may reach the disk
before an unsynced file does; a bounce SES "published" would then be lost. The directory
is fsynced once for all the sends one save lets go (`sync`), before any of their outbox
lines is written: a file fsync and a directory fsync cost ~5 ms each here.

- a send's events are one file, published together as one unit of work (`busy`, see
  quiet.py): a snapshot of the stack (`state`) sees all of them on the feedback queue or
  none. Once published, a file is `published()`; the next snapshot's manifest names it
  (beside the queue's messages it holds, `sqs_snapshot`), and then it is deleted
  (`retire`). A start (`recover`) deletes the files the restored manifest names and
  publishes the rest again: those a kill -9 caught before the snapshot held them. So a
  bounce SES "published" is never lost, and none is published twice (the feedback ledger
  would refuse a second application anyway: its markers are the events' feedback ids and
  message ids, which the file keeps);
- mail back over SMTP is done once the listener answered 250 (its own journal holds the
  mail then): the file goes at once.

A publish that fails because the endpoint or the listener is not there (a start before
SMTP listens, a stop) is tried again a few seconds later, and at the next start; one
that AWS or the listener refuses is logged and dropped, as SES drops an event its
destination refuses.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import queue
import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from inbound.local import crash_point
from inbound.local.journal import fsync_dir, make_dir_durably, write_durably

log = logging.getLogger("inbound.local_ses")

EVENTS, DELIVER, MAIL = "events", "deliver", "mail"  # file kinds: events to SNS, mail over SMTP
RETRY_SECONDS = 5.0
_SUFFIX = ".json"


class SesPublisher:
    def __init__(
        self,
        root: Path,
        region: str,
        endpoint_url: str,
        topic_arn: str,
        smtp_address: tuple[str, int] | None,
        busy: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.root, self.region, self.endpoint_url = root, region, endpoint_url
        self.topic_arn, self.smtp_address = topic_arn, smtp_address
        self._busy = busy or contextlib.nullcontext
        self._due: queue.PriorityQueue[tuple[float, str]] = queue.PriorityQueue()
        self._queued: set[str] = set()
        self._published: set[str] = set()
        self._unsynced = False  # a file was put whose name is not fsynced yet (`sync`)
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # -- putting work in -------------------------------------------------------------
    def put(self, name: str, kind: str, payload: Any, delay: float, sync_dir: bool = True) -> None:
        """Durable first, then queued. A name already on disk keeps what it holds: a send
        delivered again after a kill publishes the events it had, not new ones.
        `sync_dir=False`: the caller calls `sync()` before anything depends on the file."""
        path = self.root / f"{name}{_SUFFIX}"
        if not path.exists():
            make_dir_durably(self.root)
            data = json.dumps({"kind": kind, "payload": payload}).encode("utf-8")
            write_durably(path, data, sync_dir=sync_dir)
            self._unsynced = self._unsynced or not sync_dir
        self._queue(name, delay)

    def put_mail(
        self, name: str, kind: str, source: str, recipients: list[str], raw: bytes, sync_dir: bool = True
    ) -> None:
        payload = {"source": source, "recipients": recipients, "raw": base64.b64encode(raw).decode("ascii")}
        self.put(name, kind, payload, 0.2 if kind == DELIVER else 0.5, sync_dir)

    def sync(self) -> None:
        """The names of the files `put` with `sync_dir=False` are on disk from here on."""
        if self._unsynced:
            self._unsynced = False
            fsync_dir(self.root)

    @staticmethod
    def new_name() -> str:
        return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"

    def _queue(self, name: str, delay: float) -> None:
        with self._lock:
            if name in self._queued or name in self._published:
                return
            self._queued.add(name)
        self._due.put((time.monotonic() + delay, name))

    # -- what a snapshot holds -----------------------------------------------------------
    def published(self) -> list[str]:
        """Event files on the feedback topic now (taken while the stack is still)."""
        with self._lock:
            return sorted(self._published)

    def retire(self, names: list[str]) -> None:
        """Delete event files a snapshot on disk now holds."""
        for name in names:
            (self.root / f"{name}{_SUFFIX}").unlink(missing_ok=True)
        with self._lock:
            self._published.difference_update(names)

    def recover(self, covered: list[str]) -> int:
        """On start: forget what the restored snapshot holds; queue the rest again."""
        self.retire(covered)
        if not self.root.exists():
            return 0
        for tmp in self.root.glob("*.tmp"):
            tmp.unlink()  # never renamed: nothing was queued from it
        names = sorted(p.name.removesuffix(_SUFFIX) for p in self.root.glob(f"*{_SUFFIX}"))
        for name in names:
            self._queue(name, 0.0)
        return len(names)

    # -- the publishing thread --------------------------------------------------------
    def start(self) -> None:
        threading.Thread(target=self._loop, name="ses-events", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        import boto3

        sns = boto3.client("sns", region_name=self.region, endpoint_url=self.endpoint_url)
        while not self._stop.is_set():
            try:
                due, name = self._due.get(timeout=0.5)
            except queue.Empty:
                continue
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            # The emulator's outermost loop: one failed publish is logged, never kills the thread.
            try:
                done = self._publish(sns, name)
            except Exception:  # noqa: BLE001
                log.exception("could not deliver emulated SES %s", name)
                done = True
            with self._lock:
                self._queued.discard(name)
            if not done:
                self._queue(name, RETRY_SECONDS)

    def _publish(self, sns: Any, name: str) -> bool:
        """True when the file is dealt with (published, or refused and dropped)."""
        path = self.root / f"{name}{_SUFFIX}"
        try:
            held = json.loads(path.read_bytes())
        except FileNotFoundError:
            return True  # retired meanwhile
        if held["kind"] != EVENTS:
            return self._mail(path, held["payload"])
        try:
            with self._busy():
                for event in held["payload"]:
                    sns.publish(TopicArn=self.topic_arn, Message=json.dumps(event))
                with self._lock:
                    self._published.add(name)
            crash_point.reached("published")
        except ClientError as exc:
            log.error("emulated SES: the feedback topic refused %s: %s; dropped", name, exc)
            path.unlink(missing_ok=True)
        except BotoCoreError:
            return False  # the endpoint is going or gone: again later (or at the next start)
        return True

    def _mail(self, path: Path, payload: dict[str, Any]) -> bool:
        if self.smtp_address is None:
            path.unlink(missing_ok=True)
            return True
        try:
            with smtplib.SMTP(*self.smtp_address, timeout=10) as smtp:
                smtp.sendmail(payload["source"], payload["recipients"], base64.b64decode(payload["raw"]))
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code < 500:
                return False
            log.error("emulated SES: the listener refused %s: %s; dropped", path.name, exc)
        except smtplib.SMTPRecipientsRefused as exc:
            log.error("emulated SES: the listener refused %s: %s; dropped", path.name, exc.recipients)
        except OSError:
            return False  # not listening (yet): again in a few seconds
        crash_point.reached("mailed-back")
        path.unlink(missing_ok=True)
        return True
