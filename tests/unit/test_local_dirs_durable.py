"""The local stack's folders are on disk with their names (inbound/local/journal.py make_dir_durably).

GIVEN a data dir, WHEN the journal's folder (accepted/) is made, THEN the data dir that names
it is fsynced: a journal entry fsynced in a folder whose name a power cut took is lost with
it, after its `250`. WHEN the folder is there already, THEN nothing is fsynced again.
"""

from __future__ import annotations

from pathlib import Path

from inbound.local.journal import Journal
from tests.support.fsyncs import fsynced


def test_the_journal_s_new_folder_is_named_on_disk_before_any_entry(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()

    assert fsynced(lambda: Journal(data_dir / "accepted")) == [data_dir]
    assert fsynced(lambda: Journal(data_dir / "accepted")) == []
