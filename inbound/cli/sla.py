"""`inbound sla show [--json]` and `inbound sla set MAILBOX PRIORITY --first-response MIN
--resolution MIN`: the SLA targets per mailbox and priority (chalicelib/domain/sla.py). `set`
changes the targets it names; the other keeps its value.

Targets count wall-clock minutes (no business hours). A ticket takes its due times when it
is filed, and again when its priority or mailbox changes; `set` also moves the due times of
that mailbox's unsolved tickets of that priority to the new target, a page of 100 at a time
(services/sla_backlog.py; running it again writes nothing new). Works on the running `inbound up` of this folder (or
`--data-dir`), an endpoint or a deployed stage (inbound/cli/target.py).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from inbound.cli.terminal import counted


def _minutes(value: int) -> str:
    if not value:
        return "-"
    if value % 1440 == 0:
        return f"{value // 1440} d"
    if value % 60 == 0:
        return f"{value // 60} h"
    return f"{value} min"


def _print(targets: dict[str, Any]) -> None:
    print("mailbox       priority  first response  resolution   (wall-clock; - : no target)")
    for row in targets["targets"]:
        print(
            f"{row['mailbox']:<12}  {row['priority']:<8}  {_minutes(row['first_response_minutes']):>14}  "
            f"{_minutes(row['resolution_minutes']):>10}"
        )


def _show(args: argparse.Namespace) -> int:
    from chalicelib.api.views import sla_targets_json
    from inbound.cli.target import resolve

    svc = resolve(args).services()
    targets = sla_targets_json(svc.sla_settings.policy(), list(svc.settings.mailboxes.values()))
    if args.json:
        print(json.dumps(targets), flush=True)
    else:
        _print(targets)
    return 0


def _set(args: argparse.Namespace) -> int:
    from chalicelib.api.views import sla_targets_json
    from chalicelib.services.sla_clocks import set_target
    from inbound.cli.target import CommandError, resolve

    if args.first_response is None and args.resolution is None:
        raise CommandError(
            f"say which target: inbound sla set {args.mailbox} {args.priority} --first-response MIN"
            " and/or --resolution MIN (0 clears one)"
        )
    svc = resolve(args).services()
    mailboxes = list(svc.settings.mailboxes.values())
    # A target not named stays as it is: `--resolution 960` alone must not clear the first response.
    current = svc.sla_settings.policy().target(args.mailbox, args.priority)
    first = current.first_response_minutes if args.first_response is None else args.first_response
    resolution = current.resolution_minutes if args.resolution is None else args.resolution
    policy = set_target(svc.sla_settings, mailboxes, args.mailbox, args.priority, first, resolution)
    _print(sla_targets_json(policy, mailboxes))
    read = updated = 0
    cursor: str | None = None
    while True:
        page = svc.sla_backlog.page(args.mailbox, args.priority, cursor)
        read, updated, cursor = read + page.read, updated + page.updated, page.cursor
        if cursor is None:
            break
    tickets = counted(updated, f"open {args.priority} ticket")
    print(f"{tickets} of {args.mailbox} moved to the new target ({read} read)")
    return 0


def register(commands: Any) -> None:
    from inbound.cli.target import options

    sla = commands.add_parser(
        "sla", help="SLA targets: first response and resolution per mailbox and priority"
    )
    actions = sla.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", parents=[options()], help="every mailbox's targets")
    show.add_argument("--json", action="store_true", help="what GET /api/sla returns")
    show.set_defaults(run=_show)
    put = actions.add_parser("set", parents=[options()], help="set one mailbox's target for one priority")
    put.add_argument("mailbox", help="a mailbox name, e.g. support")
    put.add_argument("priority", help="urgent, high, normal or low")
    put.add_argument(
        "--first-response",
        type=int,
        metavar="MIN",
        help="minutes to the first staff reply (0: none; left out: unchanged)",
    )
    put.add_argument(
        "--resolution", type=int, metavar="MIN", help="minutes to solved (0: none; left out: unchanged)"
    )
    put.set_defaults(run=_set)
