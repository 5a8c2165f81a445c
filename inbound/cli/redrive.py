"""`inbound redrive`: bring back what ingest and record_feedback gave up on.

Raw mail in `quarantine/failed/` is ingested again (by this process, so the outcome is
known before the quarantined copy is deleted; see chalicelib/services/redrive.py), then
the ingest and feedback dead-letter queues are moved back to their queues, where the
functions pick them up. Safe to run twice, or alongside the sweeper: nothing doubles.

Where it runs (`inbound.cli.target`): the running `inbound up` of `--data-dir`, an endpoint
(`--endpoint-url`) or a deployed stage (`--stage`), with the stage's functions' settings.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from inbound.cli.terminal import json_line, terminal_text


def _build(args: argparse.Namespace) -> Any:
    from chalicelib.settings import Settings
    from chalicelib.wiring import build_services
    from chalicelib.wiring.ingest import build_redrive
    from inbound.cli.target import resolve

    target = resolve(args)
    session = target.session()
    env = target.environment(session)
    services = build_services(Settings.from_env(env), session)
    queues = [] if args.quarantine_only else [env["INBOUND_INGEST_QUEUE"], env["INBOUND_FEEDBACK_QUEUE"]]
    if not args.quarantine_only and env.get("INBOUND_ANNOUNCE_QUEUE"):
        # Announcement batches: sending one again sends nobody twice (recipients are claimed).
        queues.append(env["INBOUND_ANNOUNCE_QUEUE"])
    return build_redrive(services, session, queues)


def _print_text(report: Any) -> None:
    from chalicelib.domain.outcome import OutcomeKind
    from chalicelib.services.redrive import RedriveResult

    verb = {
        RedriveResult.REDRIVEN: "re-driven",
        RedriveResult.REQUARANTINED: "quarantined again",
        RedriveResult.FAILED: "failed, left in place",
    }
    for mail in report.mail:
        if mail.result == RedriveResult.PENDING:
            print(terminal_text(f"{mail.key}: would re-drive ({mail.detail})"))
            continue
        found = mail.outcome
        what = f"{found.outcome} {found.ticket or ''}".strip() if found else ""
        detail = (
            mail.detail or (found.reason if found and found.outcome == OutcomeKind.DUPLICATE else "") or ""
        )
        line = f"{mail.key}: {verb.get(mail.result, mail.result)}"
        print(terminal_text(line + (f": {what}" if what else "") + (f" ({detail})" if detail else "")))
    for queue in report.queues:
        route = f"{queue.dead_letter_queue} -> {queue.queue}"
        if report.dry_run:
            print(f"{route}: about {queue.waiting} would move")
            continue
        notes = [f"{queue.moved} moved"]
        if queue.refused:
            notes.append(f"{queue.refused} refused by the queue, left in {queue.dead_letter_queue}")
        if queue.undeleted:
            notes.append(f"{queue.undeleted} also still in {queue.dead_letter_queue} (run again)")
        if queue.error:
            notes.append(f"stopped: {queue.error}")
        print(f"{route}: {', '.join(notes)}")
    redriven = sum(m.result == RedriveResult.REDRIVEN for m in report.mail)
    moved = sum(q.moved for q in report.queues)
    summary = f"{redriven} of {len(report.mail)} quarantined mails re-driven, {moved} dead letters moved"
    print(("dry run: nothing changed; " if report.dry_run else "") + summary, file=sys.stderr)


def _redrive(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("flufl.bounce").setLevel(logging.WARNING)
    redrive = _build(args)
    report = redrive.redrive(dry_run=args.dry_run, mail=not args.dlq_only, queues=not args.quarantine_only)
    if args.json:
        print(json_line(report.as_json()), flush=True)
    else:
        _print_text(report)
    return 0 if report.ok else 1


def register(commands: Any) -> None:
    """Add `redrive` to the `inbound` command's subparsers."""
    from inbound.cli.target import options

    redrive = commands.add_parser(
        "redrive",
        parents=[options()],
        help="re-drive quarantine/failed/ and the dead-letter queues (idempotent)",
    )
    redrive.add_argument("--dry-run", action="store_true", help="show what would move; change nothing")
    only = redrive.add_mutually_exclusive_group()
    only.add_argument("--dlq-only", action="store_true", help="only the dead-letter queues")
    only.add_argument("--quarantine-only", action="store_true", help="only quarantine/failed/")
    redrive.add_argument("--json", action="store_true", help="the report as one JSON object")
    redrive.set_defaults(run=_redrive)
