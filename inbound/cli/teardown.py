"""`inbound teardown`: remove what `inbound provision` made for a stage; a dry run unless `--yes`.

Without `--yes` it reads the account and prints what it would delete, keep and find
already gone, and changes nothing (inbound/stage/provision/dry_run.py). The mail bucket,
the tables, the user pool and the reply-token secret are kept unless `--delete-data`
(the bucket's line then says how many objects go with it). Functions still deployed by
`chalice deploy` read the queues and topics it removes, so it refuses while
`.chalice/deployed/<stage>.json` lists resources: `chalice delete` comes first.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _deployed(project_dir: Path, stage: str) -> list[str]:
    """What `chalice deploy` recorded for `stage` and `chalice delete` has not removed."""
    deployed = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not deployed.exists():
        return []
    return [str(r.get("name")) for r in json.loads(deployed.read_text()).get("resources", [])]


def _teardown(args: argparse.Namespace) -> int:
    from inbound.cli.target import command_session
    from inbound.stage.provision.report import as_plan, render_report
    from inbound.stage.provision.run import delete

    deployed = _deployed(Path(args.project_dir), args.stage)
    if deployed and args.yes:
        print(
            f"inbound teardown: stage {args.stage}'s functions are still deployed "
            f"({', '.join(deployed[:3])}{', ...' if len(deployed) > 3 else ''}): "
            f"run `chalice delete --stage {args.stage}` first",
            file=sys.stderr,
        )
        return 1
    session = command_session(args.region, args.endpoint_url)
    report = delete(
        session,
        stage=args.stage,
        region=args.region,
        endpoint_url=args.endpoint_url,
        keep_data=not args.delete_data,
        dry_run=not args.yes,
    )
    kept = "" if args.delete_data else "; mail bucket, tables, staff pool and reply secret kept"
    if args.yes:
        print(render_report(report), end="")
        print(f"stage {args.stage} torn down{kept}; the SES domain identity stays (DEPLOY.md, section 12)")
        return 0
    print(render_report(as_plan(report)), end="")
    flags = " --delete-data" if args.delete_data else ""
    endpoint = f" --endpoint-url {args.endpoint_url}" if args.endpoint_url else ""
    if deployed:
        print(f"Run `chalice delete --stage {args.stage}` first: its functions are still deployed.")
    print(
        f"Nothing was changed (dry run){kept}. To tear down: inbound teardown --stage {args.stage} "
        f"--region {args.region}{endpoint}{flags} --yes"
    )
    return 0


def register(commands: Any) -> None:
    down = commands.add_parser(
        "teardown", help="remove what provision made for a stage (lists it only, unless --yes)"
    )
    down.add_argument("--stage", required=True, help="the stage provision made, e.g. prod")
    down.add_argument("--region", default="us-east-1", help="its AWS Region (default us-east-1)")
    down.add_argument(
        "--endpoint-url", default=None, help="an AWS-compatible endpoint, e.g. a local moto server"
    )
    down.add_argument(
        "--delete-data",
        action="store_true",
        help="also the mail bucket (every raw mail, archive and attachment), the tables, the staff "
        "pool and the reply-token secret: irreversible",
    )
    down.add_argument("--yes", action="store_true", help="do it (without: print what it would do)")
    down.add_argument("--project-dir", default=".", help="the Chalice project (default: here)")
    down.set_defaults(run=_teardown)
