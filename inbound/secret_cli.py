"""`inbound secret rotate --stage S`: a new reply-token secret, the old one kept as previous.

Reply addresses carry an HMAC token signed with the stage's secret (SSM SecureString).
Verifiers accept the current and the previous value, so a rotation never breaks the
addresses customers already hold; rotating twice drops the oldest value.
"""

from __future__ import annotations

import argparse
from typing import Any


def _rotate(args: argparse.Namespace) -> int:
    import boto3

    from inbound.provision import rotate_reply_secret
    from inbound.provision_report import render_report

    session = boto3.session.Session(region_name=args.region)
    report = rotate_reply_secret(session, args.stage, args.region, args.endpoint_url)
    print(render_report(report))
    # Lambda containers cache the secret for their lifetime; new ones read the new value.
    print("warm functions pick up the new secret when their containers are replaced")
    return 0


def register(commands: Any) -> None:
    secret = commands.add_parser("secret", help="the reply-token secret of a stage")
    actions = secret.add_subparsers(dest="secret_command", required=True)
    rotate = actions.add_parser("rotate", help="new secret; the old one keeps verifying as previous")
    rotate.add_argument("--stage", required=True)
    rotate.add_argument("--region", default="us-east-1")
    rotate.add_argument("--endpoint-url", default=None, help="an AWS-compatible endpoint, e.g. moto")
    rotate.set_defaults(run=_rotate)
