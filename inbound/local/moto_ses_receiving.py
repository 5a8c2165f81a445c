"""SES receipt rules as strict as SES about the bucket they write to (moto 5.2.5 checks only that
the bucket exists).

When a receipt rule with an S3 action is created or updated, SES checks that it may write
to the bucket, and refuses the rule otherwise: InvalidS3Configuration, "Could not write to
bucket" (CreateReceiptRule API reference; the SES Developer Guide, "Give permissions to
Amazon SES for email receiving", gives the bucket policy: Principal `ses.amazonaws.com`,
`s3:PutObject` on the bucket's objects, with `aws:SourceAccount` and `aws:SourceArn` naming
the account and the receipt rule, `arn:aws:ses:<region>:<account>:receipt-rule-set/<set>:receipt-rule/<rule>`).

So a rule created before its bucket's policy, or added to an operator's rule set when the
policy names only the stage's own set, fails here as it fails in an account. The policy is
read as IAM reads it for this one request: an Allow statement for SES's service principal (or
`*`) whose action covers `s3:PutObject`, whose resource covers the object SES writes under
the rule's prefix (its AMAZON_SES_SETUP_NOTIFICATION test object), and whose conditions all
hold; the condition operators are StringEquals, StringLike, ArnEquals and ArnLike (any
other leaves the statement unproven). Deny statements are not read: the only one a stage's
policy has refuses requests without TLS, and SES writes over TLS.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

_installed = False
_OPERATORS = {"stringequals": False, "arnequals": False, "stringlike": True, "arnlike": True}


def install() -> None:
    """Patch moto's SES receipt rules in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.ses.exceptions import InvalidS3ConfigurationException
    from moto.ses.models import SESBackend
    from moto.utilities.utils import get_partition

    def check(self: Any, rule_set_name: str, rule: dict[str, Any]) -> None:
        partition = get_partition(self.region_name)
        arn = f"arn:{partition}:ses:{self.region_name}:{self.account_id}:receipt-rule-set/{rule_set_name}:receipt-rule/{rule.get('Name')}"
        for action in rule.get("Actions") or []:
            s3 = action.get("S3Action") if isinstance(action, dict) else None
            if not s3:
                continue
            bucket = _bucket(self.account_id, partition, s3.get("BucketName", ""))
            key = f"arn:{partition}:s3:::{s3.get('BucketName')}/{s3.get('ObjectKeyPrefix', '')}AMAZON_SES_SETUP_NOTIFICATION"
            context = {"aws:sourceaccount": self.account_id, "aws:sourcearn": arn}
            if bucket is not None and not ses_may_put(bucket.policy, key, context):
                raise InvalidS3ConfigurationException(f"Could not write to bucket: {s3.get('BucketName')}")

    create, update = SESBackend.create_receipt_rule, SESBackend.update_receipt_rule

    def create_receipt_rule(self: Any, rule_set_name: str, rule: dict[str, Any], after: str | None) -> None:
        check(self, rule_set_name, rule)
        create(self, rule_set_name, rule, after)

    def update_receipt_rule(self: Any, rule_set_name: str, rule: dict[str, Any]) -> None:
        check(self, rule_set_name, rule)
        update(self, rule_set_name, rule)

    SESBackend.create_receipt_rule = create_receipt_rule  # type: ignore[method-assign]
    SESBackend.update_receipt_rule = update_receipt_rule  # type: ignore[method-assign]
    _installed = True


def _bucket(account: str, partition: str, name: str) -> Any:
    """The bucket, or None when it does not exist (moto's own check answers that)."""
    from moto.s3.models import s3_backends

    return s3_backends[account][partition].buckets.get(name)


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _matches(patterns: Any, value: str, wildcards: bool = True) -> bool:
    return any(
        fnmatch.fnmatchcase(value.lower(), p.lower()) if wildcards else value == p for p in _listed(patterns)
    )


def ses_may_put(policy: Any, key_arn: str, context: dict[str, str]) -> bool:
    """Does the bucket policy let SES put `key_arn` in the request `context` (lower-case keys)?"""
    if not policy:
        return False
    document = json.loads(policy.decode() if isinstance(policy, bytes) else policy)
    for statement in _listed_statements(document.get("Statement")):
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else principal
        if statement.get("Effect") != "Allow" or not _matches(services or [], "ses.amazonaws.com"):
            continue
        if not _matches(statement.get("Action") or [], "s3:PutObject"):
            continue
        if not _matches(statement.get("Resource") or [], key_arn):
            continue
        if _conditions_hold(statement.get("Condition") or {}, context):
            return True
    return False


def _listed_statements(statements: Any) -> list[dict[str, Any]]:
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in conditions.items():
        wildcards = _OPERATORS.get(operator.lower())
        if wildcards is None or not isinstance(tests, dict):
            return False
        for key, wanted in tests.items():
            value = context.get(key.lower())
            if value is None or not _matches(wanted, value, wildcards):
                return False
    return True
