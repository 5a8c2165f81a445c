"""The Lambda zip carries compiled bytecode that a read-only task directory loads as it is.

GIVEN a zip shaped like chalice's (sources, a stale `__pycache__` from a developer's
tree, a binary), WHEN `add_bytecode` rewrites it, THEN every source has an unchecked-hash
pyc beside it that a fresh interpreter writing nothing (`-B`) imports instead of compiling
the source, the stale bytecode is gone and every other entry is kept byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inbound.stage.bytecode import BytecodeFailed, add_bytecode, pyc_name, runtime_of_this_python

SOURCES = {
    "app.py": "from pkg.mod import VALUE\n",
    "pkg/__init__.py": "",
    "pkg/mod.py": "VALUE = 'compiled'\n",
}
BINARY = ("pkg/_native.so", b"\x7fELF\x00not really")
STALE = "pkg/__pycache__/mod.cpython-39.pyc"


def chalice_like_zip(path: Path, sources: dict[str, str] = SOURCES) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sources.items():
            archive.writestr(name, text)
        archive.writestr(BINARY[0], BINARY[1])
        archive.writestr(STALE, b"stale bytecode of another Python")
    return path


def add_bytecode_to(archive: Path) -> Path:
    add_bytecode(archive, runtime_of_this_python())
    return archive


def test_every_source_gets_an_unchecked_hash_pyc_and_nothing_else_changes(tmp_path):
    archive = chalice_like_zip(tmp_path / "deployment.zip")

    assert add_bytecode(archive, runtime_of_this_python()) == len(SOURCES)

    with zipfile.ZipFile(archive) as rewritten:
        names = rewritten.namelist()
        assert sorted(names) == sorted([*SOURCES, *map(pyc_name, SOURCES), BINARY[0]])
        assert rewritten.read(BINARY[0]) == BINARY[1]
        for source, text in SOURCES.items():
            assert rewritten.read(source).decode() == text
            pyc = rewritten.read(pyc_name(source))
            # PEP 552: flags 0b01 = hash-based, source not checked.
            assert int.from_bytes(pyc[4:8], "little") == 0b01, source
    assert pyc_name("pkg/mod.py") == f"pkg/__pycache__/mod.{sys.implementation.cache_tag}.pyc"


def test_a_fresh_interpreter_imports_the_bytecode_without_reading_the_source(tmp_path):
    archive = add_bytecode_to(chalice_like_zip(tmp_path / "deployment.zip"))
    task = tmp_path / "task"
    with zipfile.ZipFile(archive) as rewritten:
        rewritten.extractall(task)
    # Only the unchecked pyc can still say 'compiled'; a recompiled source would say 'edited'.
    (task / "pkg" / "mod.py").write_text("VALUE = 'edited'\n")
    before = sorted(task.rglob("*"))
    # As Lambda: the task directory first on sys.path, nothing else of this environment.
    code = f"import sys; sys.path.insert(0, {str(task)!r}); import app; print(app.VALUE)"

    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code],
        cwd=task,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "compiled"
    assert sorted(task.rglob("*")) == before, "the interpreter wrote into the task directory"


def test_a_source_that_does_not_compile_fails_the_package_and_names_the_file(tmp_path):
    archive = chalice_like_zip(tmp_path / "deployment.zip", {**SOURCES, "pkg/broken.py": "def (:\n"})
    original = archive.read_bytes()

    with pytest.raises(BytecodeFailed, match="pkg/broken.py"):
        add_bytecode(archive, runtime_of_this_python())
    assert archive.read_bytes() == original


def test_bytecode_for_another_runtime_is_refused(tmp_path):
    archive = chalice_like_zip(tmp_path / "deployment.zip")

    with pytest.raises(BytecodeFailed, match="python3.99"):
        add_bytecode(archive, "python3.99")
