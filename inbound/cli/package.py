"""`inbound package --stage S OUTDIR`: the Lambda zip and one CloudFormation template for a stage."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from inbound.stage.package import PackageFailed, package

    try:
        template = package(args.stage, Path(args.outdir), Path(args.project_dir), args.firehose)
    except PackageFailed as exc:
        print(f"inbound package: {exc}", file=sys.stderr)
        return 1
    print(f"{template}: the stage's functions and every resource they need, in one template")
    return 0


def register(commands: Any) -> None:
    pkg = commands.add_parser(
        "package", help="the Lambda zip and one CloudFormation template for a stage (chalice package)"
    )
    pkg.add_argument("--stage", required=True)
    pkg.add_argument("--project-dir", default=".", help="the Chalice project (default: here)")
    pkg.add_argument(
        "--firehose",
        action="store_true",
        help="every SES event into the mail bucket through Kinesis Data Firehose (as provision --firehose)",
    )
    pkg.add_argument("outdir", help="where deployment.zip and sam.json go")
    pkg.set_defaults(run=_package)
