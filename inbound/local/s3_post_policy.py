"""S3's browser-based POST upload as AWS judges it, for the local stack's moto server.

moto stores whatever a POST form carries: it reads no policy, checks no signature, no
expiry, no `content-length-range`, no key prefix (moto 5.2, `_bucket_response_post`).
The console's reply attachments rely on S3 refusing all of that (chalicelib/adapters/
s3_uploads.py), so the local stack checks a form here first, by the rules of AWS's "POST
Policy" and "Browser-Based Uploads Using POST (AWS Signature Version 4)":

- `policy` is base64 JSON with `expiration` (ISO 8601, UTC) and `conditions`; a form past
  its expiration is refused (403 AccessDenied, "Policy expired");
- `x-amz-signature` is the hex HMAC-SHA256 of the base64 policy under the SigV4 signing
  key of `x-amz-credential`'s scope (403 SignatureDoesNotMatch); locally every client signs
  with the same offline secret, which is therefore the one checked;
- each condition holds: `{"field": value}` and `["eq", "$field", value]` exactly,
  `["starts-with", "$field", prefix]`, `["content-length-range", min, max]` on the file's
  bytes (400 EntityTooLarge / EntityTooSmall); a field a condition names must be present;
- every form field except `policy`, `x-amz-signature`, `file` and `x-ignore-*` must be named
  by a condition ("Extra input fields"). Field names are compared without case.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

UNCHECKED_FIELDS = frozenset({"policy", "x-amz-signature", "file"})
REQUIRED_FIELDS = ("key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")


@dataclass(frozen=True)
class PostRefusal:
    """S3's answer to a form it refuses: HTTP status, error code, message."""

    status: int
    code: str
    message: str


def _denied(message: str) -> PostRefusal:
    return PostRefusal(403, "AccessDenied", f"Invalid according to Policy: {message}")


def _expiration(text: str) -> datetime | None:
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def signature(policy_b64: str, credential: str, secret: str) -> str:
    """SigV4 for POST: the signing key of the credential's scope over the base64 policy."""
    _, date, region, service, _ = (credential.split("/") + [""] * 5)[:5]
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()


def check(
    fields: Mapping[str, str], size: int, bucket: str, now: datetime, secret: str
) -> PostRefusal | None:
    """Why S3 would refuse this form and file of `size` bytes, or None when it would store it."""
    form = {name.lower(): value for name, value in fields.items()}
    for name in REQUIRED_FIELDS:
        if name not in form:
            return PostRefusal(400, "InvalidArgument", f"Bucket POST must contain a field named '{name}'.")
    if form["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        return PostRefusal(400, "InvalidArgument", "only AWS4-HMAC-SHA256 is accepted")
    try:
        policy: Any = json.loads(base64.b64decode(form["policy"], validate=True))
    except (binascii.Error, ValueError):
        return PostRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if not isinstance(policy, dict) or not isinstance(policy.get("conditions"), list):
        return PostRefusal(400, "InvalidPolicyDocument", "Invalid Policy: no conditions.")
    expires = _expiration(str(policy.get("expiration", "")))
    if expires is None:
        return PostRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value.")
    if now >= expires:
        return _denied("Policy expired.")
    expected = signature(form["policy"], form["x-amz-credential"], secret)
    if not hmac.compare_digest(expected, form["x-amz-signature"]):
        return PostRefusal(
            403, "SignatureDoesNotMatch", "The request signature we calculated does not match."
        )
    covered: set[str] = set()
    for condition in policy["conditions"]:
        refused = _condition(condition, form, size, bucket, covered)
        if refused:
            return refused
    extra = sorted(n for n in form if n not in covered | UNCHECKED_FIELDS and not n.startswith("x-ignore-"))
    if extra:
        return _denied(f"Extra input fields: {extra[0]}")
    return None


def _condition(
    condition: Any, form: Mapping[str, str], size: int, bucket: str, covered: set[str]
) -> PostRefusal | None:
    if isinstance(condition, dict):
        checks = [("eq", f"${name}", value) for name, value in condition.items()]
    elif isinstance(condition, list) and condition and condition[0] == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            return PostRefusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if size < low:
            return PostRefusal(
                400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
            )
        return None
    elif isinstance(condition, list) and len(condition) == 3 and condition[0] in ("eq", "starts-with"):
        checks = [tuple(condition)]
    else:
        return PostRefusal(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid condition {condition!r}")
    for operator, dollar_name, value in checks:
        name = str(dollar_name).removeprefix("$").lower()
        actual = bucket if name == "bucket" else form.get(name)
        held = actual is not None and (actual == value if operator == "eq" else actual.startswith(str(value)))
        if not held:
            return _denied(f'Policy Condition failed: ["{operator}", "${name}", "{value}"]')
        covered.add(name)
    return None
