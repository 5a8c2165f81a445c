"""Accepted mail, on disk before the SMTP listener answers `250`.

SES answers `250` only once a message is stored; the local stack's S3 is moto's memory,
saved as a snapshot every few seconds (`state`), so the listener first writes each
accepted message here: `<data_dir>/accepted/<ses-message-id>`, the envelope and S3
actions as one JSON line, then the raw bytes SES stored. Written to a temporary name,
fsynced, renamed, and the directory fsynced: after `250` a `kill -9` or a power cut
keeps it.

An entry leaves the journal once a snapshot holds what it became: each snapshot's
manifest lists the entries that were in moto's S3 while it was taken (an entry is
"in flight" from its write until its S3 puts are done, and `ids()` leaves those out, so
SMTP never waits for a snapshot), and after the manifest is on disk those entries are
deleted. On start, an entry the restored manifest
lists is deleted too (the crash came between the two steps); any other entry is newer
than the snapshot, so its raw mail is put back under `incoming/` and re-driven with the
rest of `incoming/`, once. The pipeline is idempotent by SES message id (its delivery
record), so a mail filed before the crash but after the snapshot is filed again from
scratch, and nothing it produced can have left the machine (see `ses_sending`'s hold).
The sends a snapshot lets go are kept in its manifest, and a start delivers any of them
that a crash kept from reaching the outbox.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("inbound.local")

_TMP = ".tmp"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir_durably(path: Path) -> None:
    """The folder, and its name in its parent on disk (a power cut keeps a file fsynced in a
    folder whose own name was not, and it is lost with the name)."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        fsync_dir(path.parent)


def write_durably(path: Path, *chunks: bytes, sync_dir: bool = True) -> None:
    """Temporary file, fsync, rename, fsync of the directory: all or nothing, and kept
    (`sync_dir=False`: the caller fsyncs the directory once for many files)."""
    tmp = path.with_name(path.name + _TMP)
    with open(tmp, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    if sync_dir:
        fsync_dir(path.parent)


@dataclass(frozen=True)
class Entry:
    ses_message_id: str
    envelope: dict[str, Any]  # mail_from, recipients, helo, peer, received_at
    actions: list[dict[str, Any]]  # the S3 actions it was stored by, with their recipients
    raw: bytes


class Journal:
    def __init__(self, root: Path) -> None:
        self.root = root
        make_dir_durably(root)
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    def write(self, entry: Entry) -> None:
        """Durable, and in flight until `landed` or `discard`."""
        head = {"envelope": entry.envelope, "actions": entry.actions}
        line = json.dumps(head, ensure_ascii=False).encode("utf-8") + b"\n"
        with self._lock:
            self._in_flight.add(entry.ses_message_id)
        write_durably(self.root / entry.ses_message_id, line, entry.raw)

    def landed(self, ses_message_id: str) -> None:
        """Its raw mail is in S3 now: a snapshot taken from here on holds it."""
        with self._lock:
            self._in_flight.discard(ses_message_id)

    def discard(self, ses_message_id: str) -> None:
        """Forget an entry whose delivery was refused (the sender was told to retry)."""
        (self.root / ses_message_id).unlink(missing_ok=True)
        self.landed(ses_message_id)

    def ids(self) -> list[str]:
        """The entries in S3 now (in-flight ones left out)."""
        with self._lock:
            flying = set(self._in_flight)
        return sorted(
            p.name for p in self.root.iterdir() if not p.name.endswith(_TMP) and p.name not in flying
        )

    def read(self, ses_message_id: str) -> Entry:
        data = (self.root / ses_message_id).read_bytes()
        line, _, raw = data.partition(b"\n")
        head = json.loads(line)
        return Entry(ses_message_id, head["envelope"], head["actions"], raw)

    def retire(self, ids: list[str]) -> None:
        """Delete entries a snapshot on disk now holds."""
        for ses_message_id in ids:
            (self.root / ses_message_id).unlink(missing_ok=True)
        if ids:
            fsync_dir(self.root)

    def recover(self, covered: list[str]) -> Iterator[Entry]:
        """On start: drop what the restored snapshot holds; yield what it does not."""
        for tmp in self.root.glob(f"*{_TMP}"):
            tmp.unlink()  # never renamed: its delivery was never answered 250
        self.retire([i for i in covered if (self.root / i).exists()])
        for ses_message_id in self.ids():
            try:
                yield self.read(ses_message_id)
            except (OSError, ValueError, KeyError) as exc:
                # Unreadable (a disk error): kept for a person to look at, never a failed start.
                log.error("journal: %s cannot be read, left in %s: %s", ses_message_id, self.root, exc)
