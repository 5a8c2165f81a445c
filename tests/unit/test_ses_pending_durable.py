"""What the emulated SES has still to publish survives a power cut (inbound/local/ses_publisher.py).

GIVEN the emulated SES's publisher, WHEN it puts a send's events on disk, THEN the file's
bytes are fsynced (under the temporary name, before the rename) and so is the directory
that names it: a power cut after the outbox lists the send cannot lose its Bounce. WHEN a
save lets several sends go, THEN each file is fsynced and the directory once, at `sync()`.
"""

from __future__ import annotations

from pathlib import Path

from inbound.local.ses_publisher import EVENTS, SesPublisher
from tests.support.fsyncs import fsynced

BOUNCE = [{"eventType": "Bounce", "mail": {"messageId": "m1"}}]


def _publisher(tmp_path: Path) -> SesPublisher:
    # Never started: nothing is published, no client is made.
    return SesPublisher(tmp_path / "ses-pending", "us-east-1", "http://127.0.0.1:1", "arn:topic", None)


def test_a_send_s_events_file_and_its_name_are_fsynced_before_put_returns(tmp_path: Path) -> None:
    publisher = _publisher(tmp_path)
    (tmp_path / "ses-pending").mkdir()

    synced = fsynced(lambda: publisher.put("m1.events", EVENTS, BOUNCE, 0.2))

    root = tmp_path / "ses-pending"
    assert synced == [root / "m1.events.json.tmp", root]
    assert (root / "m1.events.json").exists()


def test_the_first_put_also_fsyncs_the_data_dir_that_names_the_new_folder(tmp_path: Path) -> None:
    publisher = _publisher(tmp_path)

    synced = fsynced(lambda: publisher.put("m1.events", EVENTS, BOUNCE, 0.2))

    assert tmp_path in synced and tmp_path / "ses-pending" in synced


def test_sends_one_save_lets_go_share_one_directory_fsync(tmp_path: Path) -> None:
    publisher = _publisher(tmp_path)
    (tmp_path / "ses-pending").mkdir()
    root = tmp_path / "ses-pending"

    def release() -> None:
        for n in range(3):
            publisher.put(f"m{n}.events", EVENTS, BOUNCE, 0.2, sync_dir=False)
        publisher.sync()
        publisher.sync()  # nothing new since: no second fsync

    synced = fsynced(release)

    assert synced == [root / f"m{n}.events.json.tmp" for n in range(3)] + [root]
