"""Safe storage names, content sniffing and risk flags for attachments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from chalicelib.domain.mail import Attachment

MAX_NAME_BYTES = 120  # S3 keys allow 1024; keep room for the prefix and stay readable
# A stored message lists its files in its one DynamoDB item (400 KB at most, its
# bodies and headers included): some 500 files with the names mail usually has.
MAX_LISTING_BYTES = 180_000
_ENTRY_BYTES = 300  # a listed file's key, safe name, digest, types and flags

# Magic numbers of the formats that matter for display and risk. Order matters:
# the first match wins, so longer signatures come before shorter prefixes.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"RIFF", "image/webp"),  # refined below: RIFF....WEBP
    (b"BM", "image/bmp"),
    (b"PK\x03\x04", "application/zip"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\x78\x9f\x3e\x22", "application/vnd.ms-tnef"),
    (b"BEGIN:VCALENDAR", "text/calendar"),
)

RISKY_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/x-msdownload",
        "application/x-executable",
        "application/x-sh",
        "application/x-msi",
        "application/hta",
        "text/xml",
        "application/xml",
    }
)
RISKY_EXTENSIONS = frozenset(
    "htm html xhtml shtml svg svgz js mjs jse vbs vbe wsf wsh hta exe com scr pif bat cmd "
    "ps1 psm1 msi msp dll cpl jar lnk reg sh apk app dmg iso img xml xsl docm xlsm pptm".split()
)


def sniff(payload: bytes, declared: str = "") -> str:
    """The content type the bytes themselves show, or `declared` when they show nothing."""
    head = payload[:512]
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            if magic == b"RIFF" and head[8:12] != b"WEBP":
                continue
            return content_type
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "text/html"
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in payload[:4096].lower()):
        return "image/svg+xml"
    if text.startswith(b"<?xml"):
        return "application/xml"
    return declared or "application/octet-stream"


def is_risky(filename: str, declared: str, sniffed: str) -> bool:
    """Risky files are only ever served as downloads, never rendered inline."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    return declared.lower() in RISKY_TYPES or sniffed in RISKY_TYPES or extension in RISKY_EXTENSIONS


_UNSAFE = re.compile(r"[^\w.\- ()+,=@]+", re.UNICODE)


def safe_name(filename: str, fallback: str = "attachment") -> str:
    """A storage name with no separators, control characters or traversal.

    The original name is kept as object metadata; this one only has to be safe
    and recognisable. NFKC folds look-alike slashes and dots before the filter.
    """
    name = unicodedata.normalize("NFKC", filename or "")
    name = name.replace("\\", "/").rpartition("/")[2]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    name = re.sub(r"\.{2,}", ".", name)
    if not name:
        name = fallback
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        room = MAX_NAME_BYTES - len(ext.encode()) - 1
        stem = (stem if dot else name).encode("utf-8")[:room].decode("utf-8", "ignore")
        name = f"{stem}.{ext}" if ext else stem
    return name


def listing_overflow(attachments: Sequence[Attachment]) -> str:
    """Why these files cannot be listed on one stored message, or "" when they can."""
    size = sum(
        _ENTRY_BYTES
        + sum(len(text.encode("utf-8", "replace")) for text in (a.filename, a.content_id, a.content_type))
        for a in attachments
    )
    if size <= MAX_LISTING_BYTES:
        return ""
    return f"{len(attachments)} attachments need {size} bytes of listing; a stored message holds {MAX_LISTING_BYTES}"
