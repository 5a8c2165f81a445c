"""Service rules of SNS, SQS, S3 and SES that botocore's models do not carry (see
inbound/local/aws_contract/service_rules.py). Sizes are UTF-8 bytes, as AWS measures them."""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import re
from typing import Any

Refusal = tuple[str | None, str, str]

# SNS Publish: "a message can be at most 256 KiB in size (262,144 bytes, not 262,144
# characters)", message body and attributes combined (the topic's MaximumMessageSize
# can raise it to 1 MiB; inbound's topics do not set it). PublishBatch: at most 10
# entries, and the same limit for the whole batch.
SNS_MESSAGE_BYTES = 262_144
# SQS SendMessage: "The maximum size is 1 MiB or 1,048,576 bytes" (raised from 256 KiB in
# 2025, botocore's model documents it), body and attributes; a batch holds 10 entries
# and at most the same size in total.
SQS_MESSAGE_BYTES = 1_048_576
BATCH_ENTRIES = 10
# S3, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: "The object key
# name ... UTF-8 encoding ... up to 1,024 bytes long"; UsingMetadata.html: "the user-defined
# metadata is limited to 2 KB in size ... the sum of the number of bytes in the UTF-8
# encoding of each key and value".
S3_KEY_BYTES = 1024
S3_METADATA_BYTES = 2048
# SES SendRawEmail (v1 API reference): "The maximum message size, including attachments,
# is 10 MB"; SES v2 SendEmail accepts 40 MB (quotas page). Both: "more than 50 recipients"
# must be split. RawMessage.Data (v2): "The length of any single line of text in the message
# can't exceed 1,000 characters. This restriction is defined in RFC 5321."
SES_V1_RAW_BYTES = 10 * 1024 * 1024
SES_V2_RAW_BYTES = 40 * 1024 * 1024
SES_RECIPIENTS = 50
SES_LINE_CHARS = 1000
# Sending authorization: an identity ARN is arn:<partition>:ses:<region>:<account>:identity/<identity>,
# in the Region of the sending client, and the address sent from must be that identity or
# belong to its domain (SES Developer Guide, "Using sending authorization").
_IDENTITY_ARN = re.compile(r"arn:aws[a-z-]*:ses:([a-z0-9-]+):\d{12}:identity/(.+)")


def _bytes(text: Any) -> int:
    if isinstance(text, (bytes, bytearray)):
        return len(text)
    return len(str(text).encode("utf-8", "surrogatepass"))


# -- SNS, SQS, S3 --


def _attributes_bytes(attributes: Any) -> int:
    if not isinstance(attributes, dict):
        return 0
    total = 0
    for name, value in attributes.items():
        value = value if isinstance(value, dict) else {}
        total += _bytes(name) + _bytes(value.get("DataType", ""))
        total += _bytes(value.get("StringValue", "")) + _bytes(value.get("BinaryValue", b""))
    return total


def _message_refusal(entries: list[Any], body: str, limit: int, rule: str, code: str) -> Refusal | None:
    if len(entries) > BATCH_ENTRIES:
        return (
            "TooManyEntriesInBatchRequest",
            rule,
            f"Maximum number of entries per request are {BATCH_ENTRIES}",
        )
    sizes = [
        _bytes(e.get(body, "")) + _attributes_bytes(e.get("MessageAttributes"))
        for e in entries
        if isinstance(e, dict)
    ]
    if any(size > limit for size in sizes):
        return code, rule, f"Message too long: {max(sizes)} bytes (body and attributes) exceeds {limit}"
    if len(entries) > 1 and sum(sizes) > limit:
        return (
            "BatchRequestTooLong",
            rule,
            f"Batch requests cannot be longer than {limit} bytes ({sum(sizes)})",
        )
    return None


def sns(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name == "Publish":
        return _message_refusal(
            [params], "Message", SNS_MESSAGE_BYTES, "sns-message-size", "InvalidParameter"
        )
    if model.name == "PublishBatch":
        entries = list(params.get("PublishBatchRequestEntries") or [])
        return _message_refusal(entries, "Message", SNS_MESSAGE_BYTES, "sns-message-size", "InvalidParameter")
    return None


def sqs(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name == "SendMessage":
        return _message_refusal(
            [params], "MessageBody", SQS_MESSAGE_BYTES, "sqs-message-size", "InvalidParameterValue"
        )
    if model.name == "SendMessageBatch":
        entries = list(params.get("Entries") or [])
        return _message_refusal(
            entries, "MessageBody", SQS_MESSAGE_BYTES, "sqs-message-size", "InvalidParameterValue"
        )
    if (
        model.name in ("DeleteMessageBatch", "ChangeMessageVisibilityBatch")
        and len(params.get("Entries") or []) > BATCH_ENTRIES
    ):
        return (
            "TooManyEntriesInBatchRequest",
            "sqs-batch-size",
            f"Maximum number of entries per request are {BATCH_ENTRIES}",
        )
    return None


def s3(model: Any, params: dict[str, Any]) -> Refusal | None:
    key = params.get("Key")
    if isinstance(key, str) and _bytes(key) > S3_KEY_BYTES:
        return (
            "KeyTooLongError",
            "s3-key-length",
            f"Your key is too long ({_bytes(key)} bytes > {S3_KEY_BYTES})",
        )
    metadata = params.get("Metadata")
    if isinstance(metadata, dict):
        size = sum(_bytes(k) + _bytes(v) for k, v in metadata.items())
        if size > S3_METADATA_BYTES:
            message = f"Your metadata headers exceed the maximum allowed metadata size ({size} > {S3_METADATA_BYTES})"
            return "MetadataTooLarge", "s3-metadata-size", message
    return None


# -- SES --


def _headers(raw: Any) -> Any:
    data = raw if isinstance(raw, (bytes, bytearray)) else str(raw).encode("utf-8", "surrogatepass")
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(bytes(data))


def _raw_refusal(raw: Any, limit: int, recipients: list[str] | None) -> Refusal | None:
    if not isinstance(raw, (bytes, bytearray, str)):
        return None
    size = _bytes(raw)
    if size > limit:
        return (
            "InvalidParameterValue",
            "ses-message-size",
            f"Message length ({size} bytes) is more than {limit} bytes",
        )
    data = raw if isinstance(raw, str) else bytes(raw).decode("latin-1")
    longest = max((len(line) for line in data.splitlines()), default=0)
    if longest > SES_LINE_CHARS:
        return (
            "InvalidParameterValue",
            "ses-line-length",
            f"A line of {longest} characters exceeds {SES_LINE_CHARS} (RFC 5321)",
        )
    if not recipients:
        headers = _headers(raw)
        recipients = [
            a
            for _, a in email.utils.getaddresses(
                [*headers.get_all("To", []), *headers.get_all("Cc", []), *headers.get_all("Bcc", [])]
            )
            if a
        ]
    if len(recipients) > SES_RECIPIENTS:
        return (
            "InvalidParameterValue",
            "ses-recipients",
            f"Recipient count exceeds {SES_RECIPIENTS} ({len(recipients)})",
        )
    return None


def _identity_refusal(arn: Any, address: str, region: str, member: str) -> Refusal | None:
    match = _IDENTITY_ARN.fullmatch(str(arn))
    if not match:
        return "InvalidParameterValue", "ses-identity-arn", f"{member} {arn!r} is not an SES identity ARN"
    arn_region, identity = match.groups()
    if region and arn_region != region:
        return (
            "InvalidParameterValue",
            "ses-identity-arn",
            f"{member} names Region {arn_region}; the client sends from {region}",
        )
    address = address.lower()
    identity = identity.lower()
    if address != identity and address.rpartition("@")[2] != identity:
        return (
            "InvalidParameterValue",
            "ses-identity-arn",
            f"{member} identity {identity} does not cover {address or 'no address'}",
        )
    return None


def _address(value: Any) -> str:
    return email.utils.parseaddr(str(value or ""))[1]


# Message tags (SendRawEmail's Tags) and CloudWatch dimensions (API references: MessageTag,
# CloudWatchDimensionConfiguration); botocore's model has neither pattern. Dimension names
# may carry SES's auto-tags (`ses:configuration-set`), hence the colon.
SES_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SES_DIMENSION_NAME = re.compile(r"^[A-Za-z0-9_:-]{1,256}$")
SES_DIMENSION_DEFAULT = re.compile(r"^[A-Za-z0-9_.@-]{1,256}$")


def _tag_refusal(params: dict[str, Any]) -> Refusal | None:
    for tag in params.get("Tags") or []:
        if not (SES_TAG.match(str(tag.get("Name", ""))) and SES_TAG.match(str(tag.get("Value", "")))):
            return "InvalidParameterValue", "ses-message-tag", f"Invalid message tag {tag!r}"
    return None


def _dimension_refusal(params: dict[str, Any]) -> Refusal | None:
    cloudwatch = (params.get("EventDestination") or {}).get("CloudWatchDestination") or {}
    for dimension in cloudwatch.get("DimensionConfigurations") or []:
        name, default = (
            str(dimension.get("DimensionName", "")),
            str(dimension.get("DefaultDimensionValue", "")),
        )
        if not (SES_DIMENSION_NAME.match(name) and SES_DIMENSION_DEFAULT.match(default)):
            return "BadRequestException", "ses-dimension", f"Invalid CloudWatch dimension {dimension!r}"
    return None


def ses(model: Any, params: dict[str, Any], context: dict[str, Any]) -> Refusal | None:
    if model.name != "SendRawEmail":
        return None
    raw = (params.get("RawMessage") or {}).get("Data")
    refusal = _raw_refusal(raw, SES_V1_RAW_BYTES, list(params.get("Destinations") or [])) or _tag_refusal(
        params
    )
    if refusal or not any(params.get(m) for m in ("SourceArn", "FromArn", "ReturnPathArn")):
        return refusal
    headers = _headers(raw) if raw is not None else {}
    source = _address(params.get("Source")) or _address(headers.get("From"))
    addresses = {
        "SourceArn": source,
        "FromArn": _address(headers.get("From")),
        "ReturnPathArn": _address(params.get("ReturnPath")) or source,
    }
    region = str(context.get("client_region") or "")
    for member, address in addresses.items():
        if params.get(member):
            refusal = _identity_refusal(params[member], address, region, member)
            if refusal:
                return refusal
    return None


# Identity policies (v1 PutIdentityPolicy and v2 CreateEmailIdentityPolicy, API reference):
# "The policy name cannot exceed 64 characters and can only include alphanumeric characters,
# dashes, and underscores"; "The policy cannot exceed 4 KB". botocore's model has the length only.
SES_POLICY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SES_POLICY_BYTES = 4096
_POLICY_OPERATIONS = ("CreateEmailIdentityPolicy", "UpdateEmailIdentityPolicy", "DeleteEmailIdentityPolicy")


def _policy_refusal(params: dict[str, Any]) -> Refusal | None:
    name = str(params.get("PolicyName", ""))
    if not SES_POLICY_NAME.match(name):
        return "BadRequestException", "ses-policy-name", f"Invalid policy name {name!r}"
    if len(str(params.get("Policy", "")).encode()) > SES_POLICY_BYTES:
        return "BadRequestException", "ses-policy-size", f"Policy exceeds {SES_POLICY_BYTES} bytes"
    return None


def sesv2(model: Any, params: dict[str, Any], context: dict[str, Any]) -> Refusal | None:
    if model.name in _POLICY_OPERATIONS:
        return _policy_refusal(params)
    if model.name in ("CreateConfigurationSetEventDestination", "UpdateConfigurationSetEventDestination"):
        return _dimension_refusal(params)
    if model.name != "SendEmail":
        return None
    destination = params.get("Destination") or {}
    recipients = [
        *destination.get("ToAddresses", []),
        *destination.get("CcAddresses", []),
        *destination.get("BccAddresses", []),
    ]
    raw = ((params.get("Content") or {}).get("Raw") or {}).get("Data")
    refusal = _raw_refusal(raw, SES_V2_RAW_BYTES, recipients) if raw is not None else None
    if refusal is None and len(recipients) > SES_RECIPIENTS:
        refusal = "BadRequestException", "ses-recipients", f"Recipient count exceeds {SES_RECIPIENTS}"
    arn = params.get("FromEmailAddressIdentityArn")
    if refusal is None and arn:
        sender = _address(params.get("FromEmailAddress")) or (
            _address(_headers(raw).get("From")) if raw is not None else ""
        )
        refusal = _identity_refusal(
            arn, sender, str(context.get("client_region") or ""), "FromEmailAddressIdentityArn"
        )
    if refusal is not None and refusal[0] == "InvalidParameterValue":
        return ("BadRequestException", *refusal[1:])
    return refusal
