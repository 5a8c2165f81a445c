"""`inbound reindex`: build the search index and customer history of tickets filed before
search existed (or repair them). Walks ticket numbers 1 to the counter's with BatchGetItem
and each ticket's messages with one Query: no Scan. Safe to run again, or while mail
arrives (a term written twice is the same item).

Where it runs (`inbound.cli.target`): the running `inbound up` of `--data-dir`, an endpoint
(`--endpoint-url`) or a deployed stage (`--stage`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from inbound.cli.terminal import counted


def _reindex(args: argparse.Namespace) -> int:
    from chalicelib.settings import Settings
    from chalicelib.wiring import build_services
    from inbound.cli.target import resolve

    target = resolve(args)
    session = target.session()
    services = build_services(Settings.from_env(target.environment(session)), session)

    def progress(done: Any) -> None:
        if not args.json and done.tickets % 500 == 0:
            print(f"{done.tickets} tickets indexed", file=sys.stderr, flush=True)

    done = services.search.reindex(progress)
    if args.json:
        print(json.dumps({"tickets": done.tickets, "terms": done.terms}))
    else:
        print(f"{counted(done.tickets, 'ticket')} indexed ({counted(done.terms, 'search term')})")
    return 0


def register(commands: Any) -> None:
    """Add `reindex` to the `inbound` command's subparsers."""
    from inbound.cli.target import options

    reindex = commands.add_parser(
        "reindex",
        parents=[options()],
        help="index existing tickets for search and customer history (idempotent)",
    )
    reindex.add_argument("--json", action="store_true", help="the count as one JSON object")
    reindex.set_defaults(run=_reindex)
