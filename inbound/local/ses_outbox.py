"""The local stack's outbox: every mail the emulated SES sent (`ses_sending`), as a file
and a line in the folder's index.jsonl.

The index is what `inbound outbox`, the tests and a restart's recovery read: a send is in
the outbox when the index lists it. Its line is written after the mail's file, so a kill
between the two leaves a file the index does not list, and the send leaves again: into the
same file (named by its message id), so the folder never holds one send twice. A kill in
the middle of a line leaves it cut short; the next line starts on a line of its own, and
readers skip the cut one.

Durable as the journal is (file fsynced before its rename, the index and the folder
fsynced): a power cut after the snapshot that let a send go was replaced by the next one
(which no longer names the send) would otherwise take the sent mail out of the outbox with
nothing left to send it again. `ses_sending` writes the sends one save lets go with
`durable=False` and calls `sync` once for all of them.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import json
import os
import time
from pathlib import Path
from typing import Any

from inbound.local import crash_point
from inbound.local.journal import fsync_dir, make_dir_durably, write_durably


def write(
    outbox: Path,
    message_id: str,
    source: str,
    to: tuple[str, ...],
    raw: str,
    events: list[str],
    configuration_set: str = "",
    durable: bool = True,
) -> None:
    """Keep one sent mail in `outbox`: its file first, then its line in the index
    (`durable=False`: the caller calls `sync` before anything depends on it)."""
    message = email.message_from_string(raw)
    make_dir_durably(outbox)
    earlier = sorted(outbox.glob(f"*-{message_id}.eml"))  # the same send, cut short by a kill
    name = earlier[0].name if earlier else f"{time.strftime('%Y%m%dT%H%M%S')}-{message_id}.eml"
    write_durably(outbox / name, raw.encode("utf-8"), sync_dir=False)
    crash_point.reached("outbox-file")
    path = outbox / "index.jsonl"
    cut = _ends_cut(path)
    with path.open("a") as index:
        if cut:
            index.write("\n")
        record = {
            "message_id": message_id,
            "file": name,
            "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "source": source,
            "to": list(to),
            "subject": str(message.get("Subject", "")),
            "events": events,
            "configuration_set": configuration_set,
        }
        index.write(json.dumps(record) + "\n")
    if durable:
        sync(outbox)


def sync(outbox: Path) -> None:
    """The index's lines and the files' names written so far are on disk."""
    with (outbox / "index.jsonl").open("rb") as index:
        os.fsync(index.fileno())
    fsync_dir(outbox)


def _ends_cut(path: Path) -> bool:
    """Whether the file's last line lacks its newline (a kill cut it short)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) != b"\n"


def lists(outbox: Path, message_id: str) -> bool:
    """Whether the index of `outbox` lists the send (a file alone does not count)."""
    index = outbox / "index.jsonl"
    if not index.exists():
        return False
    for line in index.read_text().splitlines():
        try:
            if json.loads(line)["message_id"] == message_id:
                return True
        except (ValueError, KeyError, TypeError):
            continue  # a line a kill cut short
    return False


def read_outbox(data_dir: Path) -> list[dict[str, Any]]:
    """The outbox's index, oldest first; `subject` decoded for reading (RFC 2047 encoded
    words such as `=?utf-8?q?Gr=C3=BC=C3=9Fe?=` and folding are how the header travels)."""
    index = data_dir / "outbox" / "index.jsonl"
    if not index.exists():
        return []
    entries = []
    for line in index.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a line a kill cut short (its send left again on the next start)
    return [{**entry, "subject": readable_subject(entry.get("subject", ""))} for entry in entries]


def readable_subject(raw: str) -> str:
    """A Subject header as a person reads it; the raw text when it does not decode."""
    try:
        return (
            str(email.header.make_header(email.header.decode_header(raw)))
            .replace("\r\n", "")
            .replace("\n", "")
        )
    except (UnicodeError, LookupError, email.errors.HeaderParseError):
        return raw
