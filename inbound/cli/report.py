"""`inbound report [--json] [--from DATE] [--to DATE] [--mailbox M]`: the team report the
console's Reports page shows (chalicelib/services/team_reports.py), from the same counters.

Works on the running `inbound up` of this folder (or `--data-dir`), an endpoint or a
deployed stage, like `inbound reputation` (inbound/cli/target.py); no AWS credentials
are needed against the local stack.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def duration(seconds: int | None) -> str:
    """A percentile as the report gives it: a bucket's upper edge (-1: beyond the last)."""
    if seconds is None:
        return "-"
    if seconds < 0:
        return "> 27 d"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 86400:g} d"


def _times(figures: dict[str, Any]) -> str:
    return f"{duration(figures['p50'])} / {duration(figures['p90'])}"


def _sla(sla: dict[str, Any]) -> str:
    if not sla["total"]:
        return "-"
    return f"{sla['met']}/{sla['total']} ({sla['rate']:.0%})"


def print_report(report: dict[str, Any]) -> None:
    totals = report["totals"]
    print(f"Team report {report['from']} to {report['to']} (UTC), mailboxes {', '.join(report['mailboxes'])}")
    print(
        f"  in {totals['in']}, solved {totals['solved']}, reopened {totals['reopened']}, "
        f"backlog {totals['backlog']} unsolved at the end"
    )
    first, solved = totals["first_response"], totals["resolution"]
    print(f"  first response p50 / p90: {_times(first)} ({first['count']} first replies)")
    print(f"  resolution p50 / p90:     {_times(solved)} ({solved['count']} solved)")
    print(f"  SLA met: {_sla(totals['sla'])}")
    rates = {d["day"]: d for d in report["reputation"]["days"]}
    print()
    print("day           in  solved  backlog  first p50/p90    resolution p50/p90  bounce  complaint")
    for day in report["days"]:
        rate = rates[day["day"]]
        print(
            f"{day['day']}  {day['in']:>4}  {day['solved']:>6}  {day['backlog']:>7}  "
            f"{_times(day['first_response']):<15}  {_times(day['resolution']):<18}  "
            f"{rate['bounce_rate']:>6.2%}  {rate['complaint_rate']:>9.3%}"
        )
    print()
    print("mailbox       in  solved  backlog  first p50/p90    resolution p50/p90  SLA met")
    for box in report["per_mailbox"]:
        print(
            f"{box['mailbox']:<12}  {box['in']:>2}  {box['solved']:>6}  {box['backlog']:>7}  "
            f"{_times(box['first_response']):<15}  {_times(box['resolution']):<18}  {_sla(box['sla'])}"
        )
    if report["per_agent"]:
        print()
        print("agent                      solved  first replies  first p50/p90    resolution p50/p90")
        for agent in report["per_agent"]:
            print(
                f"{agent['agent']:<25}  {agent['solved']:>6}  {agent['first_response']['count']:>13}  "
                f"{_times(agent['first_response']):<15}  {_times(agent['resolution'])}"
            )
    rep = report["reputation"]
    print()
    print(
        f"Reputation: SES reviews at {rep['ses_bounce_review']:.0%} bounces / {rep['ses_complaint_review']:.1%} "
        f"complaints; the guard pauses automatic mail at {rep['bounce_pause']:.0%} / {rep['complaint_pause']:.2%}."
    )
    print(report["buckets"]["note"])


def _report(args: argparse.Namespace) -> int:
    from inbound.cli.target import resolve

    report = resolve(args).services().reports.report(args.first, args.last, args.mailbox)
    if args.json:
        print(json.dumps(report, ensure_ascii=False), flush=True)
    else:
        print_report(report)
    return 0


def register(commands: Any) -> None:
    from inbound.cli.target import options

    report = commands.add_parser(
        "report", parents=[options()], help="the team report: volume, backlog, response times, reputation"
    )
    report.add_argument(
        "--from", dest="first", default=None, help="first day, YYYY-MM-DD (UTC; default 13 days before --to)"
    )
    report.add_argument("--to", dest="last", default=None, help="last day, YYYY-MM-DD (UTC; default today)")
    report.add_argument("--mailbox", default=None, help="one mailbox (default: all)")
    report.add_argument(
        "--json", action="store_true", help="the report as one JSON object (what GET /api/reports returns)"
    )
    report.set_defaults(run=_report)
