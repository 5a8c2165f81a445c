"""`inbound login`: sign in to the staff API (Cognito) and keep the tokens in the data dir,
for the local stack's agent by default, or any agent of a deployed stage (`--stage`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `login`, with the options every staff API command shares (`common`)."""
    login = subparsers.add_parser("login", parents=[common], help="sign in to the staff API (Cognito)")
    login.add_argument("--email", help="your sign-in address (default: the local stack's agent)")
    login.add_argument("--client-id", default=os.environ.get("INBOUND_USER_POOL_CLIENT_ID"))
    login.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    login.add_argument("--endpoint-url", default=None, help="Cognito endpoint (the local stack's by default)")
    login.set_defaults(run=_login)


def _login(args: argparse.Namespace) -> int:
    import getpass

    from inbound.cli.http_client import DEFAULT_URL
    from inbound.cli.staff_login import local_stack, save_tokens, sign_in

    data_dir = Path(args.data_dir)
    if args.stage:  # a deployed stage: its API and app client, never the local agent
        from inbound.cli.target import deployed_api

        local = {k: v for k, v in deployed_api(args.stage).items() if v}
        url = local.pop("http")
    else:
        local = local_stack(data_dir)
        url = args.url or os.environ.get("INBOUND_URL") or local.get("http") or DEFAULT_URL
    email = args.email or local.get("email")
    client_id = args.client_id or local.get("user_pool_client_id")
    if not (email and client_id):
        print("inbound login: give --email and --client-id (or run against `inbound up`)", file=sys.stderr)
        return 2
    use_local = not args.email or args.email == local.get("email")
    password = (local.get("password") if use_local else None) or os.environ.get("INBOUND_PASSWORD")
    password = password or getpass.getpass(f"password for {email}: ")
    endpoint = args.endpoint_url or local.get("endpoint_url")
    tokens = sign_in(email, password, client_id, local.get("region") or args.region, endpoint, url, _ask_code)
    path = save_tokens(data_dir, tokens)
    print(f"signed in to {url} as {tokens.email}; token kept in {path}")
    return 0


def _ask_code() -> str:
    return input("authenticator code: ").strip()
