"""`inbound redrive`: bring back what ingest and record_feedback gave up on.

Raw mail in `quarantine/failed/` is ingested again (by this process, so the outcome is
known before the quarantined copy is deleted; see chalicelib/services/redrive.py), then
the ingest and feedback dead-letter queues are moved back to their queues, where the
functions pick them up. Safe to run twice, or alongside the sweeper: nothing doubles.

Where it runs:
- `--stage S`: a deployed stage, in the account of the default boto3 session;
- `--endpoint-url URL`: an AWS-compatible endpoint (stage `local` unless `--stage`);
- neither: the running `inbound up` whose `stack.json` is in `--data-dir`.

Settings are the stage's functions' own: resource names derived as `inbound provision`
derives them, the mailboxes from the stage's receipt rule, and for a deployed stage the
environment in `.chalice/config.json` (`inbound provision --write-config`) on top.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import InboundError

CHALICE_CONFIG = Path(".chalice/config.json")
LOCAL_STAGE = "local"


class _NoTarget(Exception):
    """Neither a stage nor a running local stack to work on."""


def _chalice_environment(stage: str) -> dict[str, str]:
    """What the stage's functions get from .chalice/config.json (global, then the stage's)."""
    if not CHALICE_CONFIG.exists():
        return {}
    config = json.loads(CHALICE_CONFIG.read_text())
    env = dict(config.get("environment_variables") or {})
    env.update((config.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    return {str(k): str(v) for k, v in env.items()}


def _mailboxes(session: Any, names: Any, region: str, endpoint_url: str | None) -> dict[str, str]:
    """Domain and mailboxes from the stage's receipt rule (what provision made of --domain)."""
    ses = session.client("ses", region_name=region, endpoint_url=endpoint_url)
    try:
        rules = ses.describe_receipt_rule_set(RuleSetName=names.rule_set).get("Rules") or []
    except ClientError:
        return {}  # not provisioned here (or no permission): the stage's config decides
    recipients = [r for rule in rules if rule.get("Name") == names.rule for r in rule.get("Recipients") or []]
    addresses = sorted(r.lower() for r in recipients if "@" in r)
    domains = [r.lower() for r in recipients if "@" not in r]
    if not addresses:
        return {}
    found = {"INBOUND_MAILBOXES": ",".join(f"{a}={a.partition('@')[0]}" for a in addresses)}
    found["INBOUND_DOMAIN"] = domains[0] if domains else addresses[0].partition("@")[2]
    return found


def _environment(session: Any, stage: str, region: str, endpoint_url: str | None) -> dict[str, str]:
    from inbound.provision_context import Names, account_of, partition_of

    names = Names(stage, "", region, account_of(session, region, endpoint_url), partition_of(session, region))
    env = {
        "INBOUND_STAGE": stage,
        "AWS_REGION": region,
        "INBOUND_MAIL_BUCKET": names.bucket,
        "INBOUND_TICKETS_TABLE": names.tickets_table,
        "INBOUND_SUPPRESSION_TABLE": names.suppression_table,
        "INBOUND_CONFIGURATION_SET": names.configuration_set,
        "INBOUND_REPLY_SECRET_PARAMETER": names.reply_secret_parameter,
        "INBOUND_EVENTS_TOPIC_ARN": names.topic_arn("events"),
        "INBOUND_INGEST_QUEUE": names.queue("ingest"),
        "INBOUND_FEEDBACK_QUEUE": names.queue("feedback"),
    }
    env.update(_mailboxes(session, names, region, endpoint_url))
    if endpoint_url:
        env["INBOUND_ENDPOINT_URL"] = endpoint_url
        # As `inbound up` runs its functions (local_stack._app_environment).
        env["INBOUND_ACKNOWLEDGE"] = "true"
    else:
        env.update(_chalice_environment(stage))
    return env


def _target(args: argparse.Namespace) -> tuple[str, str, str | None]:
    """(stage, region, endpoint URL or None for AWS itself)."""
    if args.endpoint_url:
        return args.stage or LOCAL_STAGE, args.region, args.endpoint_url
    if args.stage:
        return args.stage, args.region, None
    stack_file = Path(args.data_dir) / "stack.json"
    if not stack_file.exists():
        raise _NoTarget(
            f"no running local stack in {args.data_dir} (start `inbound up`), "
            "or give --stage S for a deployed stage"
        )
    local = json.loads(stack_file.read_text())
    return LOCAL_STAGE, str(local.get("region") or args.region), str(local["endpoint_url"])


def _build(args: argparse.Namespace) -> Any:
    import boto3

    from chalicelib.settings import Settings
    from chalicelib.wiring import build_redrive, build_services

    stage, region, endpoint_url = _target(args)
    if endpoint_url and not os.environ.get("AWS_ACCESS_KEY_ID"):
        from inbound.embedded import offline_credentials

        offline_credentials()
    session = boto3.session.Session(region_name=region)
    env = _environment(session, stage, region, endpoint_url)
    services = build_services(Settings.from_env(env), session)
    queues = [] if args.quarantine_only else [env["INBOUND_INGEST_QUEUE"], env["INBOUND_FEEDBACK_QUEUE"]]
    return build_redrive(services, session, queues)


def _print_text(report: Any) -> None:
    verb = {"redriven": "re-driven", "requarantined": "quarantined again", "failed": "failed, left in place"}
    for mail in report.mail:
        if mail.result == "pending":
            print(f"{mail.key}: would re-drive ({mail.detail})")
            continue
        found = mail.outcome
        what = f"{found.outcome} {found.ticket or ''}".strip() if found else ""
        detail = mail.detail or (found.reason if found and found.outcome == "duplicate" else "") or ""
        line = f"{mail.key}: {verb.get(mail.result, mail.result)}"
        print(line + (f": {what}" if what else "") + (f" ({detail})" if detail else ""))
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
    redriven = sum(m.result == "redriven" for m in report.mail)
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
    try:
        redrive = _build(args)
    except _NoTarget as exc:
        print(f"inbound redrive: {exc}", file=sys.stderr)
        return 2
    except (ClientError, BotoCoreError, InboundError) as exc:
        print(f"inbound redrive: cannot reach the stage's resources: {exc}", file=sys.stderr)
        return 1
    report = redrive.redrive(dry_run=args.dry_run, mail=not args.dlq_only, queues=not args.quarantine_only)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False), flush=True)
    else:
        _print_text(report)
    return 0 if report.ok else 1


def register(commands: Any) -> None:
    """Add `redrive` to the `inbound` command's subparsers."""
    redrive = commands.add_parser(
        "redrive", help="re-drive quarantine/failed/ and the dead-letter queues (idempotent)"
    )
    redrive.add_argument("--stage", default=None, help="a deployed stage (default: the running local stack)")
    redrive.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    redrive.add_argument("--endpoint-url", default=None, help="an AWS-compatible endpoint, e.g. moto's")
    redrive.add_argument(
        "--data-dir", default=".inbound", help="the local stack's data dir (default .inbound/)"
    )
    redrive.add_argument("--dry-run", action="store_true", help="show what would move; change nothing")
    only = redrive.add_mutually_exclusive_group()
    only.add_argument("--dlq-only", action="store_true", help="only the dead-letter queues")
    only.add_argument("--quarantine-only", action="store_true", help="only quarantine/failed/")
    redrive.add_argument("--json", action="store_true", help="the report as one JSON object")
    redrive.add_argument("-v", "--verbose", action="store_true")
    redrive.set_defaults(run=_redrive)
