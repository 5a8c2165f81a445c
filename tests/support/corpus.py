"""The one way tests read the shared corpus (`../shared/corpus` beside the repo).

Set INBOUND_CORPUS to read it from elsewhere. Tests that need it call
`require_corpus()`, which skips them, saying where it looked, when it is absent.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pytest

CORPUS = Path(
    os.environ.get("INBOUND_CORPUS") or Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
)
# Files in the corpus that describe it rather than being test data.
_NOT_DATA = {"INDEX.tsv", "MANIFEST.md"}
_NOT_MAIL_SUFFIXES = {".tsv", ".md", ".json", ".mustache"}


def corpus_available() -> bool:
    return (CORPUS / "mail").is_dir() and (CORPUS / "bounces").is_dir()


def require_corpus() -> None:
    """Skip the calling test (or module, at import) when the corpus is absent."""
    if not corpus_available():
        pytest.skip(
            f"shared corpus not found at {CORPUS}: expected mail/ and bounces/ there; "
            "put the corpus at ../shared/corpus beside the repo or set INBOUND_CORPUS",
            allow_module_level=True,
        )


def _files(top: str, subdirs: tuple[str, ...], keep: Callable[[Path], bool]) -> list[Path]:
    roots = [CORPUS / top / sub for sub in subdirs] if subdirs else [CORPUS / top]
    found: set[Path] = set()
    for root in roots:
        if root.is_file():
            found.add(root)
        elif root.is_dir():
            found.update(p for p in root.rglob("*") if p.is_file() and keep(p))
    return sorted(found)


def _is_data(path: Path) -> bool:
    return path.name not in _NOT_DATA and not path.name.startswith(".")


def mail_files(*subdirs: str) -> list[Path]:
    """Every raw message under mail/ and bounces/, or under the given corpus-relative folders.

    Message files are `.eml` files and, in bounces/.../mbox, extensionless mbox
    files; the corpus's own INDEX.tsv and MANIFEST.md are left out. Empty when
    the corpus is absent, so it can feed `parametrize` at collection time.
    """

    def is_mail(path: Path) -> bool:
        return _is_data(path) and path.suffix.lower() not in _NOT_MAIL_SUFFIXES

    if subdirs:
        return sorted({p for sub in subdirs for p in _files(sub, (), is_mail)})
    return _files("mail", (), is_mail) + _files("bounces", (), is_mail)


def aws_events(*subdirs: str) -> list[Path]:
    """The recorded AWS event payloads (JSON) under aws-events/, optionally one folder of it."""
    return _files("aws-events", subdirs, lambda p: _is_data(p) and p.suffix == ".json")


def index() -> dict[str, dict[str, str]]:
    """INDEX.tsv rows keyed by corpus-relative path (source, licence, tags, ...)."""
    path = CORPUS / "INDEX.tsv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}


def relative(path: Path) -> str:
    """A corpus file's path relative to the corpus, as INDEX.tsv and test ids name it."""
    return path.relative_to(CORPUS).as_posix()
