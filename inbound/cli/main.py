"""The `inbound` command: the parser every command group registers with, and `main`, which runs one
command and turns an expected failure into one line (`failures.explain`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from inbound.cli.failures import explain


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inbound", description="Support mail on Amazon SES.")
    parser.add_argument(
        "-v", "--verbose", dest="verbose_all", action="store_true", help="tracebacks for failures"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    # Imported here, not at the top: importing `inbound.cli.<module>` loads no other group.
    from inbound.cli import (
        announce,
        identity,
        package,
        process,
        provision,
        redrive,
        reindex,
        report,
        secret,
        sla,
        staff,
        suppression,
        teardown,
        tickets,
        up,
        verify,
    )

    groups = (
        process,
        up,
        package,
        provision,
        teardown,
        verify,
        suppression,
        report,
        sla,
        tickets,
        staff,
        secret,
        redrive,
        reindex,
        announce,
        identity,
    )
    for group in groups:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an expected failure is one line on stderr (a traceback with -v)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the command's outermost handler
        line = explain(exc, args.command)
        if line is None or args.verbose_all or getattr(args, "verbose", False):
            raise
        print(f"inbound {args.command}: {line}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
