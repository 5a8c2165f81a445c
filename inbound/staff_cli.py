"""`inbound staff add EMAIL`: a new agent in the stage's Cognito pool, with a one-time password.

The pool is the one `inbound provision` made. Against the local stack (`inbound up`
running with the same data dir) its id and endpoint come from `stack.json`. moto
keeps no users across a restart, so the local stack also records the agent in
`staff.json` (0600) and creates it again on every start.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import string
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

STAFF_FILE = "staff.json"


def one_time_password(length: int = 20) -> str:
    """Random, with every character class Cognito's strong policy asks for."""
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%+-=?@^_")
    chars = [secrets.choice(group) for group in classes]
    chars += [secrets.choice("".join(classes)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def add_agent(cognito: Any, pool_id: str, email: str, password: str) -> bool:
    """Create the agent with a temporary password; False when the address exists already.

    MessageAction SUPPRESS: Cognito would otherwise mail the password itself; the
    operator hands it over, and the agent sets their own at first sign-in.
    """
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UsernameExistsException":
            return False
        raise
    return True


def remember_local(data_dir: Path, email: str, password: str) -> None:
    path = data_dir / STAFF_FILE
    staff = json.loads(path.read_text()) if path.exists() else []
    staff = [s for s in staff if s["email"] != email] + [{"email": email, "temporary_password": password}]
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump(staff, handle, indent=2)


def restore_local(cognito: Any, pool_id: str, data_dir: Path) -> int:
    """Create again the agents `staff add` made on the local stack; returns how many."""
    path = data_dir / STAFF_FILE
    if not path.exists():
        return 0
    staff = json.loads(path.read_text())
    for agent in staff:
        add_agent(cognito, pool_id, agent["email"], agent["temporary_password"])
    return len(staff)


def _add(args: argparse.Namespace) -> int:
    import boto3

    data_dir = Path(args.data_dir)
    endpoint, pool_id, region = args.endpoint_url, args.user_pool_id, args.region
    local = pool_id is None
    if local:
        stack_file = data_dir / "stack.json"
        if not stack_file.exists():
            print(
                f"no running local stack in {data_dir} (start `inbound up`), or give --user-pool-id",
                file=sys.stderr,
            )
            return 2
        stack = json.loads(stack_file.read_text())
        endpoint, pool_id, region = stack["endpoint_url"], stack["user_pool_id"], stack["region"]
    cognito = boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint)
    password = one_time_password()
    email = args.email.strip().lower()
    if not add_agent(cognito, pool_id, email, password):
        print(f"{email} is already an agent of pool {pool_id}", file=sys.stderr)
        return 1
    if local:
        remember_local(data_dir, email, password)
    print(f"agent {email} created in pool {pool_id}")
    print(f"one-time password: {password}  (they choose their own at first sign-in)")
    return 0


def register(commands: Any) -> None:
    staff = commands.add_parser("staff", help="manage support agents (Cognito users)")
    actions = staff.add_subparsers(dest="staff_command", required=True)
    add = actions.add_parser("add", help="create an agent and print a one-time password")
    add.add_argument("email")
    add.add_argument("--data-dir", default=".inbound", help="the local stack's data dir")
    add.add_argument("--user-pool-id", default=None, help="a deployed stage's pool (see inbound provision)")
    add.add_argument("--region", default="us-east-1")
    add.add_argument("--endpoint-url", default=None)
    add.set_defaults(run=_add)
