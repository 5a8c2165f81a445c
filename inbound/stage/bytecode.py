"""Compiled bytecode for a Lambda zip, so a cold start does not compile every module.

Lambda unpacks the zip into /var/task, which is read-only: an interpreter that finds
only `.py` files there compiles each imported module again on every cold start and cannot
cache the result. `chalice package` zips sources only (and whatever stale `__pycache__`
lies in chalicelib/). `add_bytecode` rewrites the zip with one `__pycache__/*.pyc` next
to every `.py`, compiled by this interpreter, which must be the runtime's version (the
magic number and the cache tag `cpython-311` are per minor version).

The files are PEP 552 *unchecked-hash* pycs: the import system loads them without
stat-ing or hashing the source. Timestamp pycs would not do: zip entries keep their
modification time in 2-second steps, so an unpacked source's mtime often differs from
the one recorded in the pyc, and the interpreter would recompile. The sources stay in the
zip for tracebacks. Code objects name `/var/task/...` (Lambda's task root), so the bytes
do not depend on where the package was built.
"""

from __future__ import annotations

import compileall
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from chalicelib.errors import InboundError

# Where Lambda unpacks a function's zip (LAMBDA_TASK_ROOT).
TASK_ROOT = "/var/task"


class BytecodeFailed(InboundError):
    """A source in the zip does not compile, or this Python is not the runtime's."""


def runtime_of_this_python() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def pyc_name(source: str) -> str:
    """`a/b.py` -> `a/__pycache__/b.cpython-311.pyc` (this interpreter's cache tag)."""
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.{sys.implementation.cache_tag}.pyc")


def is_bytecode(name: str) -> bool:
    return name.endswith((".pyc", ".pyo")) or "__pycache__/" in f"/{name}"


def add_bytecode(archive: Path, runtime: str) -> int:
    """Rewrite `archive` with an unchecked-hash pyc for every `.py`; returns how many."""
    if runtime != runtime_of_this_python():
        raise BytecodeFailed(
            f"the functions run {runtime} but this is {runtime_of_this_python()}: "
            f"run `inbound package` with {runtime}"
        )
    with tempfile.TemporaryDirectory(prefix="inbound-bytecode-") as tmp:
        unpacked = Path(tmp) / "task"
        with zipfile.ZipFile(archive) as original:
            entries = [(info, original.read(info)) for info in original.infolist()]
        kept = [(info, data) for info, data in entries if not is_bytecode(info.filename)]
        sources = [info for info, _ in kept if info.filename.endswith(".py")]
        for info, data in kept:
            if info.filename.endswith(".py"):
                target = unpacked / info.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        failed = [
            info.filename
            for info in sources
            if not compileall.compile_file(
                unpacked / info.filename,
                ddir=str(PurePosixPath(TASK_ROOT, info.filename).parent),
                quiet=2,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
        ]
        if failed:
            raise BytecodeFailed(f"{len(failed)} sources in {archive} do not compile, e.g. {failed[0]}")
        rewritten = archive.with_suffix(".bytecode.zip")
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in kept:
                out.writestr(info, data)
                if info.filename.endswith(".py"):
                    compiled = zipfile.ZipInfo(pyc_name(info.filename), date_time=info.date_time)
                    compiled.external_attr = 0o644 << 16
                    compiled.compress_type = zipfile.ZIP_DEFLATED
                    out.writestr(compiled, (unpacked / pyc_name(info.filename)).read_bytes())
        rewritten.replace(archive)
    return len(sources)
