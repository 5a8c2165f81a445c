"""`inbound identity add|list|remove` (SES identities: the stage's domain, and single addresses)
and `inbound authorize-sender` (a sending authorization policy on the stage's domain).

Both are operator calls to SES v2 on the target of `inbound.cli.target`: the running
`inbound up` of this folder (no AWS credentials; its emulated SES mails the verification link
to the outbox), `--endpoint-url`, or a deployed stage (`--stage`). DEPLOY.md lists the IAM
permissions they need.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code

ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _target_and_ses(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from inbound.cli.target import resolve

    target = resolve(args)
    session = target.session()
    return target, session, target.client("sesv2", session)


def _add(args: argparse.Namespace) -> int:
    from inbound.cli.target import CommandError

    address = args.address.strip()
    if not ADDRESS.match(address):
        raise CommandError(f"{address} is not an email address: `inbound identity add name@example.org`")
    target, _, ses = _target_and_ses(args)
    try:
        ses.create_email_identity(EmailIdentity=address)
    except ClientError as exc:
        if error_code(exc) == "AlreadyExistsException":
            raise CommandError(
                f"{address} is an identity already (`inbound identity list` shows its state); "
                f"for a new link, `inbound identity remove {address}` and add it again"
            ) from None
        raise
    where = "in the local outbox: `inbound outbox`" if target.is_local else f"in the mailbox of {address}"
    print(f"{address}: SES mailed it a verification link ({where}); following the link verifies it")
    return 0


def _identities(ses: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:  # sesv2 has no paginator for ListEmailIdentities
        page = ses.list_email_identities(PageSize=100, **({"NextToken": token} if token else {}))
        found.extend(page.get("EmailIdentities", []))
        token = page.get("NextToken")
        if not token:
            return found


def _list(args: argparse.Namespace) -> int:
    _, _, ses = _target_and_ses(args)
    for identity in sorted(_identities(ses), key=lambda i: str(i.get("IdentityName", ""))):
        shown = {
            "identity": identity.get("IdentityName", ""),
            "type": "address" if identity.get("IdentityType") == "EMAIL_ADDRESS" else "domain",
            "status": str(identity.get("VerificationStatus", "")).lower(),
            "sending_enabled": bool(identity.get("SendingEnabled", False)),
        }
        if args.json:
            print(json.dumps(shown), flush=True)
        else:
            print(f"{shown['identity']}\t{shown['type']}\t{shown['status']}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from inbound.cli.target import CommandError

    target, session, ses = _target_and_ses(args)
    if args.identity.lower() == _stage_domain(target, session, None).lower():
        raise CommandError(
            f"{args.identity} is the stage's own domain: provision keeps it (mail could not be sent without it)"
        )
    try:
        ses.delete_email_identity(EmailIdentity=args.identity)
    except ClientError as exc:
        if error_code(exc) in ("NotFoundException", "NotFound"):
            raise CommandError(f"no identity {args.identity}: `inbound identity list` shows them") from None
        raise
    print(f"{args.identity}: removed")
    return 0


# -- authorize-sender -----------------------------------------------------------------------
def _stage_domain(target: Any, session: Any, named: str | None) -> str:
    from inbound.cli.target import CommandError

    domain = named or target.environment(session).get("INBOUND_DOMAIN", "")
    if not domain:
        raise CommandError(f"cannot tell the domain of {target.description}: pass --identity DOMAIN")
    return str(domain)


def _policies(ses: Any, identity: str) -> dict[str, str]:
    from inbound.cli.target import CommandError

    try:
        return dict(ses.get_email_identity_policies(EmailIdentity=identity).get("Policies") or {})
    except ClientError as exc:
        if error_code(exc) in ("NotFoundException", "NotFound"):
            raise CommandError(
                f"{identity} is not an SES identity of this account: run `inbound provision` "
                "(or `inbound identity add` for an address)"
            ) from None
        raise


def _authorize(args: argparse.Namespace) -> int:
    from inbound.cli.target import CommandError
    from inbound.stage import sending_authorization as sa
    from inbound.stage.provision.context import account_of, partition_of

    target, session, ses = _target_and_ses(args)
    identity = _stage_domain(target, session, args.identity)
    policies = _policies(ses, identity)
    if args.list:
        for name, document in sorted(policies.items()):
            if args.json:
                print(json.dumps({"identity": identity, "name": name, "policy": json.loads(document)}))
            else:
                print("\n".join(sa.described(name, document)))
        if not policies and not args.json:
            print(f"{identity}: no sending authorization policies")
        return 0
    if args.revoke:
        if args.revoke not in policies:
            raise CommandError(
                f"{identity} has no policy {args.revoke}: `inbound authorize-sender --list` shows them"
            )
        ses.delete_email_identity_policy(EmailIdentity=identity, PolicyName=args.revoke)
        print(f"{identity}: policy {args.revoke} revoked")
        return 0
    if not args.account:
        raise CommandError("name the delegate: --account ID (or --list, or --revoke NAME)")
    try:
        name = args.name or sa.policy_name(args.account)
        if not sa.POLICY_NAME.match(name):
            raise sa.PolicyError(f"--name {name}: 1-64 letters, digits, dashes or underscores")
        owner = account_of(session, target.region, target.endpoint_url)
        arn = f"arn:{partition_of(session, target.region)}:ses:{target.region}:{owner}:identity/{identity}"
        grant = sa.Grant(
            args.account, arn, sa.from_pattern(args.from_pattern, identity), sa.actions_of(args.actions)
        )
        document = grant.document()
    except sa.PolicyError as exc:
        raise CommandError(str(exc)) from None
    write = ses.update_email_identity_policy if name in policies else ses.create_email_identity_policy
    write(EmailIdentity=identity, PolicyName=name, Policy=document)
    verb = "updated" if name in policies else "attached"
    print(
        f"{identity}: policy {name} {verb}: account {args.account} may {','.join(grant.actions)} "
        f"from {grant.from_address} (identity ARN for the delegate: {arn})"
    )
    return 0


def register(commands: Any) -> None:
    """Add `identity` and `authorize-sender` to the `inbound` command's subparsers."""
    from inbound.cli.target import options

    common = options()
    identity = commands.add_parser("identity", help="SES identities: the domain, and single addresses")
    actions = identity.add_subparsers(dest="identity_command", required=True)

    add = actions.add_parser("add", parents=[common], help="verify ADDRESS (SES mails it a link)")
    add.add_argument("address")
    add.set_defaults(run=_add)

    listing = actions.add_parser("list", parents=[common], help="every identity and its verification state")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(run=_list)

    remove = actions.add_parser(
        "remove", parents=[common], help="delete an identity (not the stage's domain)"
    )
    remove.add_argument("identity")
    remove.set_defaults(run=_remove)

    grant = commands.add_parser(
        "authorize-sender",
        parents=[common],
        help="let another AWS account send as the stage's domain (a sending authorization policy)",
    )
    grant.add_argument("--account", help="the delegate's AWS account id")
    grant.add_argument("--from", dest="from_pattern", help="From addresses it may use (default *@DOMAIN)")
    grant.add_argument(
        "--actions", nargs="+", help="sending actions (default ses:SendRawEmail; e.g. ses:SendEmail too)"
    )
    grant.add_argument("--name", help="the policy's name (default inbound-delegate-ACCOUNT)")
    grant.add_argument("--identity", help="another identity than the stage's domain")
    grant.add_argument("--list", action="store_true", help="the identity's policies")
    grant.add_argument("--revoke", metavar="NAME", help="delete the policy NAME")
    grant.add_argument("--json", action="store_true", help="with --list: one JSON object per policy")
    grant.set_defaults(run=_authorize)
