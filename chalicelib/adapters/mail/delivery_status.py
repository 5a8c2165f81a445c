"""RFC 3464 delivery status fields, read leniently: the recipients a report names and
what happened to each (also when the fields are pasted into a text part, base64-encoded
per block, or folded wrongly), and the addresses in DSN and ARF fields.

Read by bounce_detector (bounces and complaints) and flufl_reading (valid addresses).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from email.message import Message

_FIELD_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{1,40}):[ \t]*(.*)$")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_ADDRESS = re.compile(r"[^\s<>()\[\]\",;:]+@[^\s<>()\",;:]+")
_VALID_ADDRESS = re.compile(r"^[\w!#$%&'*+/=?^`{|}~.-]+@([\w-]+(\.[\w-]+)*\.[\w-]{2,}|\[[0-9a-f.:]+\])$")


def read_delivery_status(
    parts: list[tuple[Message, str]], content_types: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """Permanent and transient recipients of every RFC 3464 record, and their statuses."""
    permanent: list[str] = []
    transient: list[str] = []
    statuses: list[str] = []
    for part, content_type in parts:
        if content_type not in content_types:
            continue
        for record in _records(report_fields(part)):
            outcome, status = _outcome(record)
            address = field_address(record.get("original-recipient", "")) or field_address(
                record.get("final-recipient", "")
            )
            if not outcome or not address:
                continue
            (permanent if outcome == "permanent" else transient).append(address)
            statuses.append(status)
    return unique_addresses(permanent), unique_addresses(transient), statuses


def _outcome(record: dict[str, str]) -> tuple[str, str]:
    """("permanent" | "transient" | "", status code) for one recipient record."""
    action = record.get("action", "").strip().lower()
    found = _STATUS.search(record.get("status", ""))
    status = found.group(0) if found else ""
    # SendGrid writes the non-standard "Action: expired" (retries ran out).
    if action.startswith(("delayed", "expired")):
        return "transient", status
    # opensmtpd writes the non-standard "Action: error". Without a status,
    # "failed" is permanent (RFC 3464 §2.3.3); 4.x.x means the MTA gave up on a
    # transient condition.
    if action.startswith(("fail", "error")):
        return ("transient" if status.startswith("4") else "permanent"), status
    if not action and status[:1] in ("4", "5"):  # Action missing: trust the status
        return ("permanent" if status.startswith("5") else "transient"), status
    return "", status  # delivered, relayed, expanded


def report_fields(part: Message) -> Iterator[tuple[str, str] | None]:
    """Header fields of a report part in order; None between blocks.

    The stdlib parses message/delivery-status into one Message per block. A
    block whose folding is broken ends its headers early and keeps the rest as
    body text, which is read leniently too. Some Postfix relays base64-encode
    the per-recipient blocks and announce it in the block before.
    """
    payload = _payload(part)
    if not isinstance(payload, list):
        yield from _text_fields(part_text(part))
        return
    encoding = ""
    for block in payload:
        if not isinstance(block, Message):
            continue
        yield from ((name.lower(), str(value)) for name, value in block.items())
        body = _payload(block)
        if isinstance(body, str) and body.strip():
            yield from _text_fields(
                _unbase64(body) if encoding == "base64" and not block.keys() else part_text(block)
            )
        encoding = str(block.get("content-transfer-encoding", "")).strip().lower()
        yield None


def _payload(part: Message) -> object:
    """`get_payload()`, which decodes 8-bit text with the declared charset and raises when
    that codec cannot (idna, punycode); then the bytes are read as UTF-8."""
    try:
        return part.get_payload()
    except (LookupError, UnicodeError, ValueError):
        raw = part.get_payload(decode=True)
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""


def _unbase64(text: str) -> str:
    try:
        return base64.b64decode(text).decode("utf-8", "replace")
    except ValueError:  # binascii.Error, or non-ASCII text
        return text


def _text_fields(text: str) -> Iterator[tuple[str, str] | None]:
    """Fields written as "Name: value" lines of free text; None at blank lines."""
    for line in text.splitlines():
        found = _FIELD_LINE.match(line)
        if found:
            yield found.group(1).lower(), found.group(2).strip()
        elif not line.strip():
            yield None


def part_text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def _records(fields: Iterable[tuple[str, str] | None]) -> list[dict[str, str]]:
    """Group fields into per-recipient records, also when blank lines are missing."""
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for field in fields:
        if field is None or (
            field[0] in ("final-recipient", "original-recipient")
            and (field[0] in current or (field[0] == "original-recipient" and "final-recipient" in current))
        ):
            if current:
                records.append(current)
            current = {}
        if field is not None:
            current.setdefault(field[0], field[1])
    if current:
        records.append(current)
    return [r for r in records if "final-recipient" in r or "original-recipient" in r]


def field_address(value: str) -> str:
    """The address in a DSN/ARF field ("rfc822; <a@b.example>"), lower-cased, or ""."""
    _kind, separator, rest = value.partition(";")
    found = _ADDRESS.search(rest if separator else value)
    if not found:
        return ""
    address = found.group(0).strip(".'").lower()
    return address if _VALID_ADDRESS.match(address) else ""


def unique_addresses(addresses: Iterable[str]) -> tuple[str, ...]:
    """Valid addresses, lower-cased, first occurrence kept."""
    return tuple(dict.fromkeys(a for a in map(field_address, addresses) if a))
