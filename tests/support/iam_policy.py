"""IAM for the tests: what an AWS API call needs, and whether a policy grants it.

Pure (no AWS, no boto3). `needs()` turns one recorded call (service, operation, API
parameters, whether AWS answered "not found") into the (action, resource ARN) pairs IAM
authorizes it by; `Policy`
evaluates those pairs the way IAM does for one identity policy: denied unless an
Allow statement matches and no Deny statement does, `*` and `?` globs on Action
(case-insensitive) and Resource (case-sensitive). NotAction and NotResource are
refused (the project's policies do not use them). A StringEquals or StringLike
condition on a key the call carries (`ses:FromAddress`, the Source of a send) is
evaluated, and fails when the call lacks the key, as IAM does; other conditions cannot be
checked against a recorded call, so they count as satisfied; `Grant.condition` keeps them
for the report.

Over 300 lines on purpose: one evaluator, what a call needs and whether a policy grants it,
read together.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import unquote, urlparse

# Actions whose Service Authorization Reference entry lists no resource type: IAM
# only accepts Resource "*" for them. Everything else must name its resources.
UNSCOPABLE = {
    "ses:GetAccount": "SES v2 account details (sandbox or production)",
    "ses:GetSuppressedDestination": "the account-level suppression list has no ARN",
    "ses:GetIdentityVerificationAttributes": "SES v1 reads identities by name, not by ARN",
    "ses:GetDedicatedIps": "lists the account's dedicated IPs (a pool is a filter, not a resource)",
    # Not in the policies today; listed so that adding them needs no change here.
    "cloudwatch:GetMetricData": "no resource type (the outbound guard reads AWS/SES Reputation.*)",
    "cloudwatch:PutMetricData": "no resource type; scope it with a cloudwatch:namespace Condition",
    "xray:PutTraceSegments": "no resource type (active tracing)",
    "xray:PutTelemetryRecords": "no resource type (active tracing)",
}


@dataclass(frozen=True)
class Need:
    """One authorization IAM makes for a call: `action` on `resource`."""

    action: str
    resource: str
    call: str  # "s3.CopyObject", what asked for it
    # The request's condition keys (lower-case) and values, e.g. ses:FromAddress.
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Grant:
    """One (action, resource) pair of one statement."""

    sid: str
    effect: str
    action: str
    resource: str
    condition: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def covers(self, need: Need) -> bool:
        return (
            glob_match(self.action, need.action, ignore_case=True)
            and glob_match(self.resource, need.resource)
            and _conditions_met(self.condition, dict(need.context))
        )

    def __str__(self) -> str:
        return f"{self.sid or '(no Sid)'}: {self.action} on {self.resource}"


class Policy:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.grants = tuple(_grants(document))

    def allows(self, need: Need) -> bool:
        return bool(self.allowing(need))

    def allowing(self, need: Need) -> list[Grant]:
        """The Allow grants that let `need` through; empty when denied (by default or explicitly)."""
        if any(g.effect == "Deny" and g.covers(need) for g in self.grants):
            return []
        return [g for g in self.grants if g.effect == "Allow" and g.covers(need)]


_STRING_OPERATORS = {"StringEquals": False, "StringLike": True}


def _conditions_met(condition: Mapping[str, Any], context: dict[str, str]) -> bool:
    """StringEquals/StringLike on single-valued keys; any other operator is taken as met."""
    for operator, block in condition.items():
        if operator not in _STRING_OPERATORS:
            continue
        for key, allowed in block.items():
            value = context.get(key.lower())
            if value is None:
                return False  # IAM: a key missing from the request fails the condition
            if _STRING_OPERATORS[operator]:
                matched = any(glob_match(a, value) for a in _listed(allowed))
            else:
                matched = value in _listed(allowed)
            if not matched:
                return False
    return True


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _grants(document: Mapping[str, Any]) -> Iterator[Grant]:
    for statement in _listed_statements(document.get("Statement", [])):
        unsupported = {"NotAction", "NotResource", "NotPrincipal", "Principal"} & set(statement)
        if unsupported:
            raise ValueError(f"statement {statement.get('Sid')!r} uses {sorted(unsupported)}")
        for action in _listed(statement["Action"]):
            for resource in _listed(statement["Resource"]):
                yield Grant(
                    statement.get("Sid", ""),
                    statement["Effect"],
                    action,
                    resource,
                    statement.get("Condition", {}),
                )


def _listed_statements(value: Any) -> list[Mapping[str, Any]]:
    return [value] if isinstance(value, Mapping) else list(value)


@functools.lru_cache(maxsize=512)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's wildcards: `*` any run of characters (`/` and `:` included), `?` exactly one."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def restage(document: Any, old: str, new: str) -> Any:
    """The document with stage `old` renamed `new` in every string (`inbound-dev-...`,
    `/inbound/dev/...`), which is how the stages' policies and resource names differ."""
    if isinstance(document, str):
        return re.sub(rf"(?<=inbound[-/]){re.escape(old)}(?=[-/:]|$)", new, document)
    if isinstance(document, Mapping):
        return {key: restage(value, old, new) for key, value in document.items()}
    if isinstance(document, list):
        return [restage(item, old, new) for item in document]
    return document


# -- what a call needs -------------------------------------------------------------


class Unmapped(LookupError):
    """No rule says what IAM checks for this operation: add one below."""


def needs(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    region: str,
    account: str,
    not_found: bool = False,
    sandbox: bool = False,
) -> tuple[Need, ...]:
    """The authorizations of one call. `service` is botocore's name (s3, sesv2, ...);
    `not_found`: AWS answered 404, and the caller relies on hearing that rather than 403;
    `sandbox`: the SES account is in the sandbox."""
    rule = _RULES.get(service)
    if rule is None:
        raise Unmapped(f"{service}.{operation}")
    call = f"{service}.{operation}"
    pairs = list(rule(operation, params, region, account))
    context: tuple[tuple[str, str], ...] = ()
    if service == "s3" and not_found:
        pairs.extend(_s3_not_found(operation, params))
    if service == "ses" and operation in ("SendRawEmail", "SendEmail"):
        context = _ses_send_context(params)
        if sandbox:
            pairs.extend(_ses_sandbox_recipients(params, region, account))
    return tuple(Need(a, r, call, context) for a, r in pairs)


def _ses_send_context(p: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """ses:FromAddress: the Source address (SES's IAM guide; without a Source it is the
    From header of the raw message, which inbound always sets the same)."""
    source = parseaddr(p.get("Source", ""))[1].lower()
    return (("ses:fromaddress", source),) if source else ()


def _ses_sandbox_recipients(p: Mapping[str, Any], region: str, account: str) -> Pairs:
    """In the sandbox SES also authorizes the send against each recipient's identity (a
    verified address of the same account): a grant naming only the domain is refused."""
    return [
        ("ses:SendRawEmail", f"arn:aws:ses:{region}:{account}:identity/{parseaddr(d)[1].lower()}")
        for d in p.get("Destinations", [])
    ]


Pairs = Iterable[tuple[str, str]]


def _s3(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    def obj(bucket: str, key: str) -> str:
        return f"arn:aws:s3:::{bucket}/{key}"

    if op in ("GetObject", "HeadObject"):  # HEAD is authorized as s3:GetObject
        return [("s3:GetObject", obj(p["Bucket"], p["Key"]))]
    if op in ("PutObject", "DeleteObject"):
        return [(f"s3:{op}", obj(p["Bucket"], p["Key"]))]
    if op == "PostObject":  # a presigned POST form: S3 authorizes the upload as s3:PutObject of
        # the signer; the recorded call names no key, and inbound signs forms for uploads/ only
        # (chalicelib/adapters/s3_uploads.py, domain/reply_uploads.py)
        return [("s3:PutObject", obj(p["Bucket"], "uploads/*"))]
    if op == "DeleteObjects":
        return [("s3:DeleteObject", obj(p["Bucket"], o["Key"])) for o in p["Delete"]["Objects"]]
    if op == "CopyObject":  # read the source, write the target
        source = p["CopySource"]
        if isinstance(source, str):
            bucket, _, key = unquote(source.lstrip("/").partition("?")[0]).partition("/")
        else:
            bucket, key = source["Bucket"], source["Key"]
        return [("s3:GetObject", obj(bucket, key)), ("s3:PutObject", obj(p["Bucket"], p["Key"]))]
    if op in ("ListObjectsV2", "ListObjects"):
        return [("s3:ListBucket", f"arn:aws:s3:::{p['Bucket']}")]
    raise Unmapped(f"s3.{op}")


def _s3_not_found(op: str, p: Mapping[str, Any]) -> Pairs:
    """S3 answers a read of a missing key with 404 only to a caller allowed s3:ListBucket
    on the bucket; to anyone else it says 403 AccessDenied, which code that tells a
    missing object apart (is_not_found: a move already done, a mail not there) cannot."""
    if op in ("GetObject", "HeadObject"):
        return [("s3:ListBucket", f"arn:aws:s3:::{p['Bucket']}")]
    if op == "CopyObject":  # the source is what can be missing
        (_, source), _ = _s3(op, p, "", "")
        return [("s3:ListBucket", source.partition("/")[0])]
    return []


# DynamoDB authorizes each item of a transaction as the single-item action.
_TRANSACT = {"ConditionCheck": "ConditionCheckItem", "Put": "PutItem", "Update": "UpdateItem"}
_TRANSACT.update(Delete="DeleteItem", Get="GetItem")


def _dynamodb(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    def table(name: str, index: str = "") -> str:
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    if op in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{op}", table(name)) for name in p["RequestItems"]]
    if op in ("TransactWriteItems", "TransactGetItems"):
        pairs = []
        for item in p["TransactItems"]:
            ((kind, body),) = item.items()
            pairs.append((f"dynamodb:{_TRANSACT[kind]}", table(body["TableName"])))
        return pairs
    if op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"):
        return [(f"dynamodb:{op}", table(p["TableName"], p.get("IndexName", "")))]
    raise Unmapped(f"dynamodb.{op}")


def _sqs(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    if "QueueUrl" in p:  # https://sqs.<region>.amazonaws.com/<account>/<name>
        owner, name = urlparse(p["QueueUrl"]).path.strip("/").split("/")[-2:]
    else:
        owner, name = p.get("QueueOwnerAWSAccountId", account), p["QueueName"]
    return [(f"sqs:{op}", f"arn:aws:sqs:{region}:{owner}:{name}")]


def _sns(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    if op in ("Publish", "PublishBatch"):
        return [("sns:Publish", p.get("TopicArn") or p["TargetArn"])]
    raise Unmapped(f"sns.{op}")


def _ssm(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    def parameter(name: str) -> str:
        return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"

    if op == "GetParameters":
        return [("ssm:GetParameters", parameter(n)) for n in p["Names"]]
    if op == "GetParametersByPath":
        return [("ssm:GetParametersByPath", parameter(p["Path"]))]
    return [(f"ssm:{op}", parameter(p["Name"]))]


def _ses(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    action = f"ses:{op}"
    if action in UNSCOPABLE:
        return [(action, "*")]
    if op in ("SendRawEmail", "SendEmail"):
        # The sending identity: the one named by ARN (sending authorization), else the
        # verified domain of the Source address; and the configuration set used.
        identities = {p[k] for k in ("SourceArn", "FromArn") if p.get(k)} or {
            f"arn:aws:ses:{region}:{account}:identity/{parseaddr(p['Source'])[1].rpartition('@')[2]}"
        }
        pairs = [(action, arn) for arn in sorted(identities)]
        if p.get("ConfigurationSetName"):
            config_set = f"arn:aws:ses:{region}:{account}:configuration-set/{p['ConfigurationSetName']}"
            pairs.append((action, config_set))
        return pairs
    raise Unmapped(f"ses.{op}")


def _cognito(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    return [(f"cognito-idp:{op}", f"arn:aws:cognito-idp:{region}:{account}:userpool/{p['UserPoolId']}")]


def _cloudwatch(op: str, p: Mapping[str, Any], region: str, account: str) -> Pairs:
    if op == "GetMetricData":
        return [("cloudwatch:GetMetricData", "*")]
    raise Unmapped(f"cloudwatch.{op}")


_RULES = {
    "s3": _s3,
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "ssm": _ssm,
    "ses": _ses,
    "sesv2": _ses,  # SES v2 shares the "ses" action prefix
    "cognito-idp": _cognito,
    "cloudwatch": _cloudwatch,
}
