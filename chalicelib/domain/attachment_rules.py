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
# Extensions a click runs, mounts or renders: the union of Gmail's blocked file types, the
# Level 1 list of Outlook and Outlook on the web, the Office macro-enabled formats and the
# markup a browser renders. Judged on the name the file is saved under (see is_risky).
RISKY_EXTENSIONS = frozenset(
    # markup a browser renders, with its scripts
    "htm html xhtml xht shtml shtm mht mhtml svg svgz xml xsl htc "
    # Windows programs, installers and libraries
    "exe ex_ ex com scr pif dll sys cpl drv ocx vxd msi msp mst msu msix msixbundle appx appxbundle "
    "appinstaller app application appref-ms gadget xbap xll xla xlam wll lib cab diagcab diagcfg diagpkg "
    # scripts and script hosts
    "bat cmd js mjs jse vb vbs vbe vbp wsf wsh wsc ws sct hta ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psm1 "
    "pssc cdxml msh msh1 msh2 mshxml msh1xml msh2xml py pyc pyo pyw pyz pyzw pl sh csh ksh bash command "
    # shortcuts and shell files that point at something else or run on open
    "lnk url website scf shb shs settingcontent-ms library-ms searchconnector-ms search-ms desktop "
    "inf ins isp reg msc mcf its udl wsb grp jnlp jar class nsh "
    # disk images Windows mounts on a double click (and hides their contents from mark-of-the-web)
    "iso img vhd vhdx dmg pkg apk "
    # help files and notebooks that carry scripts or embedded programs
    "chm hlp hpj cnt one onepkg "
    # Office formats with macros, add-ins and data links; Access databases
    "docm dotm xlsm xltm xlsb pptm potm ppsm ppam sldm iqy slk ade adp mda mdb mde mdt mdw mdz accde "
    # certificates a click offers to install
    "cer crt der "
    # the rest of Outlook's Level 1 list: Access shortcuts, Office and IIS settings, server pages,
    # old script and macro formats, Windows themes and printer exports
    "asp aspx asx bas fxp mad maf mag mam maq mar mas mat mau mav maw ops osd pcd plg prf prg pst tmp "
    "vsmacros vsw xnk appcontent-ms theme printerexport webpnp psdm1 bgi".split()
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
    """Risky files are only ever served as downloads, never rendered inline.

    The name is judged as it is saved (safe_name: what the download link's
    Content-Disposition gives the browser) as well as it was written, because the saved
    name can have an extension the written one hides: `run.js.` and `run.js ` (Windows
    and safe_name drop trailing dots and spaces), `run.j<U+200B>s` (format characters
    removed), fullwidth `ｒｕｎ.ｊｓ` (NFKC), `run.js.<200 x>` (an overlong extension dropped).
    """
    names = (filename, safe_name(filename))
    extensions = {name.rpartition(".")[2].casefold() for name in names if "." in name}
    return declared.lower() in RISKY_TYPES or sniffed in RISKY_TYPES or bool(extensions & RISKY_EXTENSIONS)


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
