"""Disguised executables: the risky badge judges the name the browser saves the file under.

GIVEN a mail whose one attachment is a script named so that its written name shows no risky
extension while the name it is saved under does (`run.js.` is saved as `run.js`), or named
with an extension that runs, mounts or renders on a double click (`.chm`, `.one`, `.vhd`, ...),
WHEN it is ingested and an agent opens the ticket THEN the API marks the file risky, and its
download link makes S3 send it as `application/octet-stream`, as an attachment, under that
saved name: the console shows "risky type: open with care" and a browser never renders it.

Trailing white space (`run.js `) never reaches the badge through mail (the reader strips it); the
rule itself is unit-tested for it in tests/unit/test_attachment_rules.py, and safe storage names
in test_attachment_filenames.py.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from chalicelib.api import views
from tests.support.deliver import deliver

SCRIPT = b"WScript.CreateObject('WScript.Shell').Run('calc');\r\n"

# (trick, the name as the sender writes it, the name the file is saved under)
DISGUISES = [
    ("trailing dot", "run.js.", "run.js"),
    ("trailing dots and spaces", "run.js . .", "run.js"),
    ("zero-width space inside the extension", "run.j\u200bs", "run.js"),
    ("soft hyphen inside the extension", "run.j\u00ads", "run.js"),
    ("word joiner inside the extension", "run.j\u2060s", "run.js"),
    ("byte order mark after the extension", "run.js\ufeff", "run.js"),
    ("fullwidth extension (NFKC)", "run.\uff4a\uff53", "run.js"),
    ("fullwidth full stop (NFKC)", "run\uff0ejs", "run.js"),
    ("overlong last extension dropped on save", "run.js." + "x" * 130, "run.js"),
]
# Named in issue 11: blocked by Gmail or Outlook, and missing from the list before.
NEW_EXTENSIONS = [
    "chm",
    "one",
    "vhd",
    "vhdx",
    "url",
    "xll",
    "msix",
    "settingcontent-ms",
    "library-ms",
    "appx",
]
# Found by replaying the attack over SMTP: on Outlook's Level 1 list (and blocked by Outlook
# on the web), yet shown as ordinary files.
OUTLOOK_LEVEL_1 = [
    "asp", "aspx", "asx", "bas", "fxp", "mad", "maf", "mag", "mam", "maq", "mar", "mas", "mat",
    "mau", "mav", "maw", "ops", "osd", "pcd", "plg", "prf", "prg", "pst", "tmp", "vsmacros", "vsw",
    "xnk", "appcontent-ms", "theme", "printerexport", "webpnp", "psdm1", "bgi",
]  # fmt: skip


def attacker_mail(filename: str) -> bytes:
    """One text part and the script, named with RFC 2231 so any character gets through."""
    return (
        b"From: Mallory <mallory@evil.test>\r\nTo: support@example.com\r\nSubject: Invoice\r\n"
        b"Message-ID: <risky-1@evil.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nPlease open the attached invoice.\r\n"
        b"--B\r\nContent-Type: text/plain\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''" + quote(filename, safe="").encode() + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(SCRIPT).replace(b"\n", b"\r\n")
        + b"--B--\r\n"
    )


def _shown(stack, filename: str) -> dict:
    """The attachment as the staff API shows it, after a real ingest against moto."""
    outcome = deliver(stack, attacker_mail(filename))
    assert outcome.outcome == "created", outcome
    [message] = views.detail_json(stack.services.desk.show(outcome.ticket))["messages"]
    [attachment] = message["attachments"]
    return attachment


def _link(attachment: dict) -> tuple[str, str]:
    """(Content-Disposition, Content-Type) the download link makes S3 answer with."""
    query = parse_qs(urlsplit(attachment["url"]).query)
    return query["response-content-disposition"][0], query["response-content-type"][0]


def _saved_as(disposition: str) -> str:
    match = re.search(r"filename\*=UTF-8''([^;\s]*)", disposition)
    assert match, disposition
    return unquote(match.group(1))


@pytest.mark.parametrize(("written", "saved"), [d[1:] for d in DISGUISES], ids=[d[0] for d in DISGUISES])
def test_a_script_disguised_by_its_written_name_is_risky_under_its_saved_name(stack, written, saved):
    attachment = _shown(stack, written)
    disposition, content_type = _link(attachment)
    assert _saved_as(disposition) == saved, "the trick is real: the browser saves a .js"
    assert attachment["risky"], f"{written!r} is saved as {saved!r} and shown without the badge"
    assert disposition.startswith("attachment;") and content_type == "application/octet-stream"


@pytest.mark.parametrize("extension", NEW_EXTENSIONS + OUTLOOK_LEVEL_1)
def test_an_extension_windows_runs_or_mounts_on_a_double_click_is_risky(stack, extension):
    attachment = _shown(stack, f"invoice.{extension}")
    disposition, content_type = _link(attachment)
    assert _saved_as(disposition) == f"invoice.{extension}"
    assert attachment["risky"], f".{extension} is shown without the badge"
    assert disposition.startswith("attachment;") and content_type == "application/octet-stream"
