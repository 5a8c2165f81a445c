"""`inbound suppression list|check|remove|import` and `inbound reputation`.

They work on the running `inbound up` of this folder (or `--data-dir`), on an
AWS-compatible endpoint (`--endpoint-url`) or on a deployed stage (`--stage`): see
`inbound.cli.target`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from inbound.cli.terminal import json_line, terminal_text


def _services(args: argparse.Namespace) -> Any:
    from inbound.cli.target import resolve

    return resolve(args).services()


def _print_json(value: Any) -> None:
    print(json_line(value, sort_keys=False), flush=True)


def _list(args: argparse.Namespace) -> int:
    entries = _services(args).suppression.list()
    for entry in entries:
        if args.json:
            _print_json(entry.as_dict())
        else:
            until = f" until {entry.expires_at}" if entry.expires_at else ""
            print(terminal_text(f"{entry.address}\t{entry.reason}\t{entry.at}\t{entry.source}{until}"))
    if not args.json:
        print(f"{len(entries)} suppressed", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    found = _services(args).suppression.check(args.address)
    if args.json:
        _print_json(
            {"address": found["address"], "suppressed": found["suppressed"], "reason": found["reason"]}
        )
    elif found["suppressed"]:
        print(terminal_text(f"{found['address']}: suppressed ({found['reason']})"))
    else:
        print(terminal_text(f"{found['address']}: not suppressed"))
    return 0


def _remove(args: argparse.Namespace) -> int:
    removed = _services(args).suppression.remove(args.address, by=args.by, why=args.why)
    if removed is None:
        print(terminal_text(f"{args.address}: not on the suppression list"), file=sys.stderr)
        return 1
    print(
        terminal_text(f"{removed.address}: removed (was {removed.reason}); recorded by {args.by}: {args.why}")
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    report = _services(args).suppression.import_list(text, by=args.by, source=f"import {args.file}")
    if args.json:
        _print_json(report.as_dict())
    else:
        print(f"{report.imported} imported, {report.already} already listed, {len(report.invalid)} invalid")
        for bad in report.invalid:
            print(terminal_text(f"invalid: {bad}"), file=sys.stderr)
    return 1 if report.invalid else 0


def _reputation(args: argparse.Namespace) -> int:
    report = _services(args).suppression.reputation()
    if args.json:
        _print_json(report)
        return 0
    guard = report["guard"]
    print(f"guard: {guard['state']} ({guard['note']})")
    print("day         volume  bounces  complaints  bounce%  complaint%")
    for day in report["days"]:
        if day["volume"] or day["bounces"] or day["complaints"]:
            print(
                f"{day['day']}  {day['volume']:>6}  {day['bounces']:>7}  {day['complaints']:>10}"
                f"  {day['bounce_rate']:>7.2%}  {day['complaint_rate']:>10.3%}"
            )
    if "warmup" in report:
        _print_warmup(report["warmup"])
    return 0


def _print_warmup(plan: dict[str, Any]) -> None:
    """The standard dedicated pool's warm-up plan: today's cap, each IP, the schedule."""
    if "unknown" in plan:
        print(f"warm-up of pool {plan['pool']}: unknown ({plan['unknown']}); announcements wait")
        return
    cap = plan["daily_cap"]
    if cap is None:
        print(f"warm-up of pool {plan['pool']}: done (no daily cap); {plan['sent_today']} sent today")
    else:
        print(
            f"warm-up of pool {plan['pool']}: {plan['sent_today']} of {cap} announcement mails sent today "
            f"(UTC), {plan['left_today']} left; the rest waits for tomorrow"
        )
    for ip in plan["ips"]:
        limit = "no cap" if ip["daily_cap"] is None else f"{ip['daily_cap']} a day"
        print(f"  {ip['ip']:<15}  {ip['status']:<14} {ip['percentage']:>3}%  {limit}")
    steps = ", ".join(f"{s['percentage']}%: {s['daily_cap_per_ip']}" for s in plan["schedule"])
    print(f"  schedule (cap per IP by SES's warm-up percentage): {steps}")


def register(commands: Any) -> None:
    """Add `suppression` and `reputation` to the `inbound` command's subparsers."""
    from inbound.cli.target import options

    common = options()
    suppression = commands.add_parser("suppression", help="the outbound suppression list")
    actions = suppression.add_subparsers(dest="suppression_command", required=True)

    listing = actions.add_parser("list", parents=[common], help="every suppressed address")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(run=_list)

    check = actions.add_parser("check", parents=[common], help="is ADDRESS suppressed, and why")
    check.add_argument("address")
    check.add_argument("--json", action="store_true", help='{"address", "suppressed", "reason"}')
    check.set_defaults(run=_check)

    remove = actions.add_parser("remove", parents=[common], help="take ADDRESS off the list (audited)")
    remove.add_argument("address")
    remove.add_argument("--by", required=True, help="who removes it")
    remove.add_argument("--why", required=True, help="why it may receive mail again")
    remove.set_defaults(run=_remove)

    load = actions.add_parser("import", parents=[common], help="add addresses from FILE (`address[,reason]`)")
    load.add_argument("file", help="CSV or one address a line; - reads stdin")
    load.add_argument("--by", default=os.environ.get("USER", "cli"), help="who imports (audit)")
    load.add_argument("--json", action="store_true")
    load.set_defaults(run=_import)

    rep = commands.add_parser("reputation", parents=[common], help="bounce/complaint rates and the guard")
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(run=_reputation)
