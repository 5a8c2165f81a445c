"""`inbound staff add|list|disable|enable|remove|role`: the staff in the stage's Cognito pool.

The pool is the one `inbound provision` made, on the target `inbound.cli.target` resolves:
by default the `inbound up` running with the same data dir (no AWS credentials needed).
moto keeps no users across a restart: `inbound up` keeps the pool in staff-pool.json
(inbound/local/staff_pool.py); each change here is also recorded in `staff.json` (0600),
which a start redoes only for a data dir without staff-pool.json (staff_roster.py).
Cognito's disable only stops sign-in; the staff directory (who may use the API, who can be
assigned) lives in the tickets table, so disable, enable and remove mark it too (a disabled
agent's requests are refused, and they are neither listed nor assignable; tickets keep
their name). A role (admin, agent) is a Cognito group
(chalicelib/adapters/cognito_staff.py); admins administer staff in the console.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.adapters.cognito_staff import ADMIN, AGENT, ROLES, members, set_role
from chalicelib.domain.staff_identity import one_time_password
from inbound.local.staff_roster import add_agent, remember_local


@dataclass(frozen=True)
class _Pool:
    cognito: Any
    pool_id: str
    data_dir: Path | None  # the local stack's, where its changes are recorded; None elsewhere
    own_agent: str  # the local stack's first agent (credentials.json), "" elsewhere
    roster: Callable[[], Any] | None  # the stage's DynamoDBAgents; None when only a pool id names it
    guard: Callable[[], Any] | None = None  # the stage's staff guard (DynamoDBAdminGuard), likewise


def _roster(target: Any, session: Any) -> Any:
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.settings import Settings

    table = Settings.from_env(target.environment(session)).tickets_table
    return DynamoDBAgents(target.client("dynamodb", session), table)


def _guard(target: Any, session: Any) -> Any:
    from chalicelib.adapters.dynamodb_admin_guard import DynamoDBAdminGuard
    from chalicelib.settings import Settings

    table = Settings.from_env(target.environment(session)).tickets_table
    return DynamoDBAdminGuard(target.client("dynamodb", session), table)


def _pool(args: argparse.Namespace) -> _Pool:
    from inbound.cli.target import DEFAULT_DATA_DIR, Target, resolve

    if args.user_pool_id and not (args.stage or args.endpoint_url):
        # A pool id alone names a deployed stage's pool, in the default session's account.
        region = args.region or os.environ.get("AWS_REGION") or "us-east-1"
        target = Target("", region, None, Path(args.data_dir or DEFAULT_DATA_DIR))
    else:
        target = resolve(args)
    session = target.session()
    cognito = target.client("cognito-idp", session)
    pool_id = args.user_pool_id or target.user_pool_id(session)
    known = target.stage or target.is_local
    roster = (lambda: _roster(target, session)) if known else None
    guard = (lambda: _guard(target, session)) if known else None
    if not target.is_local:
        return _Pool(cognito, pool_id, None, "", roster, guard)
    try:
        own = str(json.loads((target.data_dir / "credentials.json").read_text())["username"])
    except (OSError, ValueError, KeyError):
        own = ""
    return _Pool(cognito, pool_id, target.data_dir, own, roster, guard)


def _mark(pool: _Pool, email: str, disabled: bool) -> None:
    """Keep the console's roster (who can be assigned) in step with the pool."""
    if pool.roster is None:
        print(
            f"note: the staff directory was not updated (give --stage); {email} may still be assigned "
            "and keeps API access until their token expires",
            file=sys.stderr,
        )
        return
    pool.roster().set_disabled(email, disabled)


@contextmanager
def _keeping_an_admin(pool: _Pool, email: str, what: str) -> Iterator[None]:
    """The console's rule (services/staff_admin.py): never the pool's last enabled admin,
    checked and acted on under the same staff guard as the console's, so an admin demoted
    there at the same moment is counted. A pool named by its id alone has no guard to hold."""
    from chalicelib.domain.staff_identity import last_admin_refusal
    from chalicelib.services.staff_admin import GUARD_LEASE_SECONDS
    from inbound.cli.target import CommandError

    guard, holder = (pool.guard() if pool.guard else None), secrets.token_hex(8)
    if guard is not None and not guard.acquire(holder, int(time.time()), GUARD_LEASE_SECONDS):
        raise CommandError("another change to the staff's admins is under way: try again in a minute")
    try:
        refusal = last_admin_refusal(members(pool.cognito, pool.pool_id), email, what)
        if refusal:
            raise CommandError(refusal)
        yield
    finally:
        if guard is not None:
            guard.release(holder)


def _email(value: str) -> str:
    from chalicelib.domain.address_ascii import ascii_domain

    # As the console's Staff screen spells it (services/staff_admin.py): one Cognito user.
    return ascii_domain(value.strip().lower())


def _add(args: argparse.Namespace) -> int:
    from inbound.cli.identity import ADDRESS
    from inbound.cli.target import CommandError

    email = _email(args.email)
    if not ADDRESS.match(email):
        raise CommandError(f"{args.email} is not an email address: `inbound staff add name@example.com`")
    pool = _pool(args)
    password = one_time_password()
    if not add_agent(pool.cognito, pool.pool_id, email, password):
        print(
            f"{email} is already an agent of pool {pool.pool_id} (see `inbound staff list`)", file=sys.stderr
        )
        return 1
    set_role(pool.cognito, pool.pool_id, email, args.role)
    if pool.roster is not None:  # a former colleague's directory entry keeps the role it recorded
        pool.roster().set_role(email, args.role)
    if pool.data_dir is not None:
        remember_local(pool.data_dir, email, temporary_password=password, enabled=True, role=args.role)
    print(f"{args.role} {email} created in pool {pool.pool_id}")
    print(f"one-time password: {password}  (they choose their own at first sign-in)")
    return 0


def _list(args: argparse.Namespace) -> int:
    pool = _pool(args)
    found = members(pool.cognito, pool.pool_id)
    if args.json:
        for agent in found:
            print(json.dumps(agent), flush=True)
        return 0
    width = max([len("EMAIL"), *(len(a["email"]) for a in found)])
    print(f"{'EMAIL'.ljust(width)}  {'STATUS':<8}  {'ROLE':<5}  CREATED")
    for agent in found:
        created = (agent["created"] or "-")[:10]
        print(f"{agent['email'].ljust(width)}  {agent['status']:<8}  {agent['role']:<5}  {created}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    pool, email = _pool(args), _email(args.email)
    with _keeping_an_admin(pool, email, "disable"):
        pool.cognito.admin_disable_user(UserPoolId=pool.pool_id, Username=email)
    # Refresh tokens stop working too; an ID token already issued is refused by the API once
    # the directory's mark is read (within 30 s: chalicelib/services/staff_identities.py).
    pool.cognito.admin_user_global_sign_out(UserPoolId=pool.pool_id, Username=email)
    _mark(pool, email, True)
    if pool.data_dir is not None:
        remember_local(pool.data_dir, email, enabled=False)
    print(
        f"{email} is disabled: they cannot sign in nor be assigned tickets "
        f"(`inbound staff enable {email}` undoes it)"
    )
    return 0


def _enable(args: argparse.Namespace) -> int:
    pool, email = _pool(args), _email(args.email)
    pool.cognito.admin_enable_user(UserPoolId=pool.pool_id, Username=email)
    _mark(pool, email, False)
    if pool.data_dir is not None:
        remember_local(pool.data_dir, email, enabled=True)
    print(f"{email} is enabled: they can sign in again")
    return 0


def _remove(args: argparse.Namespace) -> int:
    pool, email = _pool(args), _email(args.email)
    if email == pool.own_agent:
        from inbound.cli.target import CommandError

        raise CommandError(
            f"{email} is the agent this local stack signs `inbound tickets` in as (credentials.json) "
            f"and is created again at every start; disable it instead: inbound staff disable {email}"
        )
    with _keeping_an_admin(pool, email, "remove"):
        pool.cognito.admin_delete_user(UserPoolId=pool.pool_id, Username=email)
    _mark(pool, email, True)
    if pool.data_dir is not None:
        remember_local(pool.data_dir, email, removed=True)
    print(f"{email} is removed from pool {pool.pool_id}; their tickets keep their name")
    return 0


def _role(args: argparse.Namespace) -> int:
    pool, email = _pool(args), _email(args.email)
    if args.role != ADMIN:
        with _keeping_an_admin(pool, email, "make agent"):
            set_role(pool.cognito, pool.pool_id, email, args.role)
            recorded = _record_role(pool, email, args.role)
    else:
        set_role(pool.cognito, pool.pool_id, email, args.role)
        recorded = _record_role(pool, email, args.role)
    if pool.data_dir is not None:
        remember_local(pool.data_dir, email, role=args.role)
    when = "at once" if recorded and args.role != ADMIN else "from their next sign-in, within the hour"
    print(f"{email} is now {args.role} ({when})")
    return 0


def _record_role(pool: _Pool, email: str, role: str) -> bool:
    """Record the role in the staff directory, which the API asks (services/staff_identities.py):
    a demoted admin's token then stops counting as admin at once. False without one."""
    if pool.roster is None:
        print(
            f"note: the staff directory was not updated (give --stage); {email} keeps what their"
            " token's groups say until it expires",
            file=sys.stderr,
        )
        return False
    pool.roster().set_role(email, role)
    return True


def register(commands: Any) -> None:
    from inbound.cli.target import options

    common = argparse.ArgumentParser(add_help=False, parents=[options()])
    common.add_argument("--user-pool-id", default=None, help="the pool (default: the target's own)")
    staff = commands.add_parser("staff", help="manage support agents (Cognito users)")
    actions = staff.add_subparsers(dest="staff_command", required=True)
    add = actions.add_parser("add", parents=[common], help="create an agent and print a one-time password")
    add.add_argument("email")
    add.add_argument("--role", choices=ROLES, default=AGENT, help="admin administers staff (default: agent)")
    add.set_defaults(run=_add)
    role = actions.add_parser("role", parents=[common], help="make someone admin or agent")
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(run=_role)
    listing = actions.add_parser("list", parents=[common], help="every agent and their status")
    listing.add_argument("--json", action="store_true", help="one JSON object per agent")
    listing.set_defaults(run=_list)
    for name, run, what in (
        ("disable", _disable, "stop an agent from signing in (reversible)"),
        ("enable", _enable, "let a disabled agent sign in again"),
        ("remove", _remove, "delete an agent"),
    ):
        action = actions.add_parser(name, parents=[common], help=what)
        action.add_argument("email")
        action.set_defaults(run=run)
