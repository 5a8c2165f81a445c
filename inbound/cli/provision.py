"""`inbound provision` and `inbound policies`: a stage's AWS resources and its IAM policy files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _provision(args: argparse.Namespace) -> int:
    from inbound.cli.target import command_session
    from inbound.stage.chalice_config import queue_function_timeouts
    from inbound.stage.documents import REPLY_FUNCTION_TIMEOUT, SEND_FUNCTION_TIMEOUT
    from inbound.stage.provision.api import check_deployed_region, deployed_rest_api
    from inbound.stage.provision.context import ProvisionError
    from inbound.stage.provision.report import render_report
    from inbound.stage.provision.run import (
        FEEDBACK_FUNCTION_TIMEOUT,
        INGEST_FUNCTION_TIMEOUT,
        after_deploy,
        delete,
        provision,
    )

    if args.managed and not args.dedicated_pool:
        print("inbound provision: --managed goes with --dedicated-pool NAME", file=sys.stderr)
        return 2
    session = command_session(args.region, args.endpoint_url)
    try:
        if not args.delete:
            check_deployed_region(Path(args.project_dir), args.stage, args.region)
        if args.after_deploy:
            rest_api = deployed_rest_api(Path(args.project_dir), args.stage)
            print(
                render_report(
                    after_deploy(
                        session, args.stage, args.region, args.endpoint_url, rest_api, args.public_url
                    )
                ),
                end="",
            )
            return 0
        if args.delete:
            torn_down = delete(
                session,
                stage=args.stage,
                region=args.region,
                endpoint_url=args.endpoint_url,
                keep_data=not args.delete_data,
            )
            print(render_report(torn_down), end="")
            print(f"stage {args.stage} torn down" + ("" if args.delete_data else "; bucket and tables kept"))
            return 0
        timeouts = queue_function_timeouts(Path(args.project_dir), args.stage)
        report = provision(
            session,
            stage=args.stage,
            domain=args.domain,
            region=args.region,
            endpoint_url=args.endpoint_url,
            activate=args.activate,
            tls=args.tls,
            rest_api=deployed_rest_api(Path(args.project_dir), args.stage),
            dedicated_pool=args.dedicated_pool,
            managed_pool=args.managed,
            firehose=args.firehose,
            public_url=args.public_url,
            # The queues' visibility timeouts follow the functions' timeouts in config.json.
            ingest_function_timeout=timeouts.get("ingest", INGEST_FUNCTION_TIMEOUT),
            feedback_function_timeout=timeouts.get("record_feedback", FEEDBACK_FUNCTION_TIMEOUT),
            announce_function_timeout=timeouts.get("send_announcement", SEND_FUNCTION_TIMEOUT),
            reply_function_timeout=timeouts.get("send_reply", REPLY_FUNCTION_TIMEOUT),
        )
    except ProvisionError as exc:
        print(f"inbound provision: {exc}", file=sys.stderr)
        return 1
    print(render_report(report))
    inactive = [e for e in report.entries if e.resource == "ses-active-rule-set" and e.detail]
    if inactive and inactive[0].detail.startswith("not activated"):
        endpoint = f" --endpoint-url {args.endpoint_url}" if args.endpoint_url else ""
        active = inactive[0].detail.partition("active: ")[2]
        print(
            f"Receipt rule {report.outputs['INBOUND_RULE_SET']}-receive is not in the active rule set "
            f"{active}: SES receives no mail for this stage. To add it there (the set's own rules "
            f"stay), run:\n  inbound provision --stage {args.stage} --domain {args.domain} "
            f"--region {args.region}{endpoint} --activate\n"
        )
    if args.write_config:
        from inbound.stage.chalice_config import write_stage_config

        changed = write_stage_config(Path(args.project_dir), args.stage, report.outputs)
        print(
            f"{Path(args.project_dir) / '.chalice'}: stage {args.stage}: "
            + (", ".join(changed) + " written" if changed else "already up to date")
        )
    return 0


def _policies(args: argparse.Namespace) -> int:
    from inbound.stage.chalice_config import write_stage_policies

    chalice_dir = Path(args.project_dir) / ".chalice"
    changed = write_stage_policies(chalice_dir, args.stage)
    print(
        f"{chalice_dir}: stage {args.stage}: "
        + (", ".join(changed) + " written" if changed else "up to date")
    )
    return 0


def register(commands: Any) -> None:
    prov = commands.add_parser("provision", help="create or update every AWS resource of a stage")
    prov.add_argument("--stage", required=True)
    prov.add_argument("--domain", required=False, default="example.com")
    prov.add_argument("--region", default="us-east-1")
    prov.add_argument(
        "--endpoint-url", default=None, help="an AWS-compatible endpoint, e.g. a local moto server"
    )
    prov.add_argument(
        "--activate",
        action="store_true",
        help="receive: add the stage's receipt rule to the active rule set (its rules stay), "
        "or make the stage's own set active when none is",
    )
    prov.add_argument(
        "--tls",
        choices=("optional", "require"),
        default="optional",
        help="the receipt rule's TLS policy: require refuses mail from servers without STARTTLS "
        "(default optional)",
    )
    prov.add_argument(
        "--dedicated-pool",
        metavar="NAME",
        default=None,
        help="announcements send from this dedicated IP pool (created if absent): the account's "
        "leased dedicated IPs on a warm-up plan, or SES's managed pool with --managed",
    )
    prov.add_argument(
        "--managed",
        action="store_true",
        help="with --dedicated-pool: SES leases, scales and warms up the pool's IPs (MANAGED)",
    )
    prov.add_argument(
        "--firehose",
        action="store_true",
        help="also send every SES event of both configuration sets into the mail bucket "
        "(ses-events/) through a Kinesis Data Firehose delivery stream",
    )
    prov.add_argument(
        "--after-deploy",
        action="store_true",
        help="after every `chalice deploy`: the SQS functions report failed records only "
        "(ReportBatchItemFailures) and the API's gateway responses are set again",
    )
    prov.add_argument(
        "--public-url",
        default="",
        help="where links in mail point (a custom domain in front of the API); default: the deployed API's URL",
    )
    prov.add_argument(
        "--delete",
        action="store_true",
        help="tear the stage down at once (keeps bucket and tables; `inbound teardown` shows the plan first)",
    )
    prov.add_argument(
        "--delete-data", action="store_true", help="with --delete: remove bucket and tables too"
    )
    prov.add_argument(
        "--write-config",
        action="store_true",
        help="write the stage's names into .chalice/config.json and its IAM policy files",
    )
    prov.add_argument("--project-dir", default=".", help="the Chalice project (default: here)")
    prov.set_defaults(run=_provision)

    pol = commands.add_parser(
        "policies", help="write each function's IAM policy file from the stage in .chalice/config.json"
    )
    pol.add_argument("--stage", required=True)
    pol.add_argument("--project-dir", default=".", help="the Chalice project (default: here)")
    pol.set_defaults(run=_policies)
