"""Counts the CLI prints read as English: "1 file", "3 files"."""

from __future__ import annotations

from inbound.cli.terminal import counted


def test_a_count_of_one_is_singular_and_any_other_count_plural():
    assert [counted(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert counted(1, "open urgent ticket") == "1 open urgent ticket"
    assert counted(3, "match", "matches") == "3 matches"
