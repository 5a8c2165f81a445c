"""The results table (markdown) and bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass(frozen=True)
class Row:
    benchmark: str
    measured: str
    baseline: str
    ratio: str
    goal: str
    met: str


def table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | measured | baseline | ratio | goal | met? |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.benchmark} | {r.measured} | {r.baseline} | {r.ratio} | {r.goal} | {r.met} |" for r in rows
    ]
    return "\n".join(lines)


def machine() -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"- platform: `{platform.platform()}` ({platform.machine()}, {platform.processor() or 'cpu n/a'})",
            f"- CPUs (`os.cpu_count()`): {os.cpu_count()}",
            f"- Python: {sys.version.split()[0]} ({platform.python_implementation()})",
            f"- date: {now}",
        ]
    )


def yes(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def mean(values: list[int]) -> float:
    return statistics.fmean(values) if values else 0.0


def write(rows: list[Row], details: str, command: str) -> Path:
    text = "\n\n".join(
        [
            "# Benchmark results",
            "Every timing is a ratio against a baseline measured in the same run on the same "
            "machine; absolute figures are only context. Request counts are exact, and their "
            "ratio is against the per-message request budget.",
            f"Command: `{command}`",
            "## Machine\n\n" + machine(),
            "## Summary\n\n" + table(rows),
            details,
        ]
    )
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")
    return RESULTS
