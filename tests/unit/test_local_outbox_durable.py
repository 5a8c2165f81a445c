"""The local outbox survives a power cut (inbound/local/ses_outbox.py).

GIVEN the emulated SES's outbox, WHEN a sent mail is kept there, THEN its file is fsynced
(under the temporary name, before the rename), then the index and the folder: once the
snapshot that let the send go is replaced, nothing would send it again. WHEN a save lets
several sends go, THEN each file is fsynced and the index and the folder once, at `sync`;
what `inbound outbox` reads is the same.
"""

from __future__ import annotations

from pathlib import Path

from inbound.local import ses_outbox
from tests.support.fsyncs import fsynced

RAW = "From: support@example.com\r\nTo: ann@customer.org\r\nSubject: Gr\u00fc\u00dfe\r\n\r\nHello\r\n"


def _write(outbox: Path, message_id: str, durable: bool = True) -> None:
    ses_outbox.write(
        outbox, message_id, "support@example.com", ("ann@customer.org",), RAW, ["Send"], "", durable
    )


def test_a_sent_mail_its_index_line_and_its_name_are_fsynced(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"

    synced = fsynced(lambda: _write(outbox, "m1"))

    (eml,) = outbox.glob("*.eml")
    assert synced == [tmp_path, outbox / f"{eml.name}.tmp", outbox / "index.jsonl", outbox]
    assert eml.read_bytes() == RAW.encode("utf-8")


def test_sends_one_save_lets_go_share_one_index_and_folder_fsync(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    _write(outbox, "m0")

    def release() -> None:
        for n in (1, 2):
            _write(outbox, f"m{n}", durable=False)
        ses_outbox.sync(outbox)

    synced = fsynced(release)

    names = {p.name for p in outbox.glob("*.eml")}
    assert synced[:2] == [outbox / f"{n}.tmp" for n in sorted(names) if not n.endswith("-m0.eml")]
    assert synced[2:] == [outbox / "index.jsonl", outbox]
    assert [e["message_id"] for e in ses_outbox.read_outbox(tmp_path)] == ["m0", "m1", "m2"]
