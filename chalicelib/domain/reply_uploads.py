"""Files an agent attaches to a reply: what may be uploaded, where, and what may be sent.

The console uploads a file straight to S3 with a presigned POST whose policy the server
writes (adapters/s3_uploads.py): one key under `uploads/<ticket>/<upload-id>/`, a
Content-Type fixed here, a byte range. The policy binds the browser, not the file's
bytes, so the stored object is judged again when the reply is sent: its size, and the
type its bytes show (attachment_rules.sniff). Files a click would run or a browser would
render (attachment_rules.is_risky: executables, scripts, HTML, SVG, macro documents) are
refused both times; the customer would receive them from our domain.
"""

from __future__ import annotations

import re
import uuid

from chalicelib.domain import attachment_rules
from chalicelib.domain.frozen import frozen
from chalicelib.errors import InvalidRequest

UPLOAD_ROOT = "uploads/"
# The upload id is ours (uuid4 hex); the name is attachment_rules.safe_name's output.
_UPLOAD_KEY = re.compile(r"^uploads/(?P<ticket>T-\d+)/(?P<upload>[0-9a-f]{32})/(?P<name>[^/]+)$")


class UploadRefused(InvalidRequest):
    """The file may not be attached (400); the message says why, for the agent."""


@frozen
class PlannedUpload:
    """Where one file goes and what the POST policy holds it to."""

    key: str
    prefix: str
    filename: str
    content_type: str
    max_bytes: int


def plan(ticket_id: str, filename: str, content_type: str, size: int, max_bytes: int) -> PlannedUpload:
    """The upload of one file to `ticket_id`'s reply, or UploadRefused."""
    name = attachment_rules.safe_name(filename, "attachment")
    declared = (content_type or "application/octet-stream").strip().lower()
    if "/" not in declared or any(ch in declared for ch in "\r\n;,"):
        raise UploadRefused(f"{content_type!r} is not a content type")
    if attachment_rules.is_risky(filename, declared, declared):
        raise UploadRefused(f"{name}: files that run or render when opened are not sent to customers")
    if size <= 0:
        raise UploadRefused(f"{name} is empty")
    if size > max_bytes:
        raise UploadRefused(f"{name} is {size} bytes; a reply's files may be {max_bytes} bytes each")
    prefix = f"{UPLOAD_ROOT}{ticket_id}/{uuid.uuid4().hex}/"
    return PlannedUpload(prefix + name, prefix, name, declared, max_bytes)


def ticket_of(key: str) -> str:
    """The ticket an upload key belongs to, or "" when `key` is no upload key."""
    match = _UPLOAD_KEY.match(key)
    return match["ticket"] if match else ""


def name_of(key: str) -> str:
    return key.rpartition("/")[2]


def judge_stored(key: str, declared: str, head: bytes, size: int, max_bytes: int) -> str:
    """The type to send a stored upload as, or UploadRefused. The bytes judge the risk; the
    type stays the declared one (a .docx sniffs as a zip) unless that says nothing."""
    name = name_of(key)
    if size <= 0:
        raise UploadRefused(f"{name} is empty")
    if size > max_bytes:
        raise UploadRefused(f"{name} is {size} bytes; a reply's files may be {max_bytes} bytes each")
    declared = (declared or "application/octet-stream").lower()
    sniffed = attachment_rules.sniff(head, declared)
    if attachment_rules.is_risky(name, declared, sniffed):
        raise UploadRefused(f"{name}: its content is a file that runs or renders when opened")
    return sniffed if declared in ("application/octet-stream", "binary/octet-stream") else declared
