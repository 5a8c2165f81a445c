"""`inbound secret rotate`: a new reply-token secret, the old one kept as previous.

Reply addresses carry an HMAC token signed with the stage's secret (SSM SecureString).
Verifiers accept the current and the previous value, so a rotation never breaks the
addresses customers already hold; rotating twice drops the oldest value. Works on the
running local stack by default, or on `--stage`/`--endpoint-url` (`inbound.cli.target`).
"""

from __future__ import annotations

import argparse
from typing import Any


def _rotate(args: argparse.Namespace) -> int:
    from inbound.cli.target import resolve
    from inbound.stage.provision.report import render_report
    from inbound.stage.provision.run import rotate_reply_secret

    target = resolve(args)
    report = rotate_reply_secret(target.session(), target.stage, target.region, target.endpoint_url)
    print(render_report(report))
    # Lambda containers cache the secret for their lifetime; new ones read the new value.
    print("warm functions pick up the new secret when their containers are replaced")
    return 0


def register(commands: Any) -> None:
    from inbound.cli.target import options

    secret = commands.add_parser("secret", help="the reply-token secret of a stage")
    actions = secret.add_subparsers(dest="secret_command", required=True)
    rotate = actions.add_parser(
        "rotate", parents=[options()], help="new secret; the old one keeps verifying as previous"
    )
    rotate.set_defaults(run=_rotate)
