"""Sending authorization, the identity owner's side: the policy `inbound authorize-sender` attaches.

A sending authorization policy is a resource policy on an SES identity naming who else may
send as it (https://docs.aws.amazon.com/ses/latest/dg/sending-authorization-policy-examples.html).
The one built here is least privilege: one delegate account, SendRawEmail unless more is asked,
the stage's identity as the only resource, and a condition on the From address.

SES documents four keys of its own for these policies (ses:Recipients, ses:FromAddress,
ses:FromDisplayName, ses:FeedbackAddress), matched with StringEquals/StringLike, case
sensitive, `*` and `?` wildcards. None names a configuration set: the delegate sends with a
configuration set of its own account, so the owner's policy cannot pin one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# CreateEmailIdentityPolicy: botocore's model says 1-64 characters; SES's API reference adds
# "can only include alphanumeric characters, dashes, and underscores".
POLICY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
# "sending authorization policies apply to email sending APIs (SendEmail, SendRawEmail,
# SendTemplatedEmail, and SendBulkTemplatedEmail) only".
SENDING_ACTIONS = ("SendRawEmail", "SendEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail")
DEFAULT_ACTIONS = ("SendRawEmail",)
POLICY_BYTES = 4096  # "The policy cannot exceed 4 KB."


class PolicyError(ValueError):
    """The grant asked for cannot be written as SES accepts it; says what to change."""


def policy_name(account: str) -> str:
    return f"inbound-delegate-{account}"


def actions_of(asked: list[str] | None) -> tuple[str, ...]:
    """`ses:SendRawEmail`/`SendRawEmail` -> `ses:SendRawEmail`; a non-sending action is refused."""
    found: list[str] = []
    for action in asked or DEFAULT_ACTIONS:
        bare = action.strip().removeprefix("ses:").removeprefix("SES:")
        known = {a.lower(): a for a in SENDING_ACTIONS}.get(bare.lower())
        if known is None:
            raise PolicyError(f"{action} is not a sending action: use one of {', '.join(SENDING_ACTIONS)}")
        if f"ses:{known}" not in found:
            found.append(f"ses:{known}")
    return tuple(found)


def from_pattern(pattern: str | None, identity: str) -> str:
    """The From addresses the delegate may use: inside the identity (`*@example.com` by default)."""
    if not pattern:
        return f"*@{identity}" if "@" not in identity else identity
    host = pattern.rpartition("@")[2].lower()
    domain = identity.rpartition("@")[2].lower()
    if "@" not in pattern or not (host == domain or host.endswith("." + domain)) or "*" in host:
        raise PolicyError(
            f"--from {pattern} is not an address of {identity}: "
            f"use a pattern such as 'billing*@{domain}' (wildcards before the @ only)"
        )
    return pattern


@dataclass(frozen=True)
class Grant:
    account: str  # the delegate's 12-digit account id
    identity_arn: str  # arn:PARTITION:ses:REGION:OWNER:identity/NAME
    from_address: str  # a StringLike pattern of ses:FromAddress
    actions: tuple[str, ...]

    def __post_init__(self) -> None:
        if not ACCOUNT_ID.match(self.account):
            raise PolicyError(f"--account {self.account} is not an AWS account id (12 digits)")

    def document(self) -> str:
        policy: dict[str, Any] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"InboundDelegate{self.account}",
                    "Effect": "Allow",
                    "Principal": {"AWS": [self.account]},
                    "Action": list(self.actions),
                    "Resource": self.identity_arn,
                    "Condition": {"StringLike": {"ses:FromAddress": self.from_address}},
                }
            ],
        }
        text = json.dumps(policy, indent=1)
        if len(text.encode()) > POLICY_BYTES:
            raise PolicyError(f"the policy would exceed SES's {POLICY_BYTES} bytes: shorten --from")
        return text


def described(name: str, document: str) -> list[str]:
    """A policy as lines a person reads: who may do what, on which conditions."""
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return [f"{name}: (not JSON) {document[:200]}"]
    lines = []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal", {})
        who = principal.get("AWS", principal) if isinstance(principal, dict) else principal
        actions = statement.get("Action", [])
        conditions = [
            f"{key} {test} {value}"
            for test, pairs in (statement.get("Condition") or {}).items()
            for key, value in pairs.items()
        ]
        lines.append(
            f"{name}: {statement.get('Effect', '?')} {_listed(who)} {_listed(actions)}"
            + (f" if {' and '.join(conditions)}" if conditions else " (no conditions)")
        )
    return lines


def _listed(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
