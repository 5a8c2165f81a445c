"""`inbound process PATH... [--json]`: .eml files through the real pipeline on an embedded stack,
one outcome per file."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from typing import Any

from inbound.cli.terminal import counted, json_line, terminal_text


def _process(args: argparse.Namespace) -> int:
    from pathlib import Path

    from inbound.cli.target import CommandError
    from inbound.local.embedded import embedded_stack
    from inbound.local.replay import Replayer, eml_files

    missing = next((name for name in args.paths if not Path(name).exists()), None)
    if missing is not None:
        raise CommandError(
            f"{missing}: no such file or folder: save the mail to process as .eml files"
            " (your mail program's 'Save as') in a folder and name that folder, or name the files"
        )
    logging.basicConfig(level=logging.WARNING if not args.verbose else logging.INFO, stream=sys.stderr)
    counts: Counter[str] = Counter()
    with embedded_stack(domain=args.domain) as stack:
        started = time.perf_counter()
        replayer = Replayer(stack.ingest, stack.store)
        recipients = tuple(args.to) if args.to else ()
        for path in eml_files(args.paths):
            try:
                raw = path.read_bytes()
            except OSError as exc:
                print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
                counts["unreadable"] += 1
                continue
            outcome = replayer.process_bytes(raw, recipients)
            counts[outcome.outcome] += 1
            if args.json:
                print(json_line(outcome.as_json(str(path))), flush=True)
            else:
                detail = outcome.ticket or ""
                if outcome.thread_signal and outcome.ticket:
                    detail += f" ({outcome.thread_signal})"
                if outcome.reason:
                    detail += f" {outcome.reason}"
                print(terminal_text(f"{path}: {outcome.outcome} {detail}".rstrip()), flush=True)
        elapsed = time.perf_counter() - started
    total = sum(counts.values())
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    per = f", {elapsed / total * 1000:.1f} ms per message" if total else ""
    print(f"{counted(total, 'file')}: {summary or 'none'} in {elapsed:.1f} s{per}", file=sys.stderr)
    return 1 if counts["unreadable"] else 0


def register(commands: Any) -> None:
    process = commands.add_parser(
        "process", help="run .eml files through the real pipeline on an embedded stack"
    )
    process.add_argument("paths", nargs="+", help=".eml files or folders of them")
    process.add_argument("--json", action="store_true", help="one JSON object per line")
    process.add_argument("--domain", default="example.com")
    process.add_argument("--to", action="append", help="envelope recipient (default: the mail's To and Cc)")
    process.add_argument("-v", "--verbose", action="store_true")
    process.set_defaults(run=_process)
