"""Hostile attachment names through the real ingest against moto, and back out as download links.

GIVEN one mail whose attachments are named to escape the attachment prefix (`../`, `..\\`,
absolute paths, RFC 2231 and RFC 2047 encoded traversal, full-width dots and slashes), to
smuggle control characters (NUL, CR LF + Bcc, TAB), to disguise their type (U+202E
RIGHT-TO-LEFT OVERRIDE), or to be degenerate (600 characters, empty, `.`, `..`),
WHEN it is ingested THEN every file is stored byte-exact under
`attachments/<ticket>/<message>/<n>-<safe name>` with no `.`/`..` segment, its storage name is
safe, its original name survives as metadata and in the API, and the API's download link
makes S3 answer with a Content-Disposition that is one clean header.

The name rules themselves are unit-tested in tests/unit/test_attachment_rules.py.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from chalicelib.api import views
from chalicelib.domain.attachment_rules import MAX_NAME_BYTES
from tests.support.deliver import deliver

LONG = "A" * 600 + ".pdf"
# (the part's header lines after Content-Type, the name the customer's client would show)
HOSTILE_PARTS: list[tuple[bytes, str]] = [
    (b'Content-Disposition: attachment; filename="../../etc/passwd"', "../../etc/passwd"),
    (b'Content-Disposition: attachment; filename="..\\\\..\\\\boot.ini"', "..\\..\\boot.ini"),
    (b"Content-Disposition: attachment; filename*=utf-8''..%5C..%5Cwin.ini", "..\\..\\win.ini"),
    (b'Content-Disposition: attachment; filename="/abs/path"', "/abs/path"),
    (b"Content-Disposition: attachment; filename*=utf-8''..%2F..%2F..%2Fetc%2Fshadow", "../../../etc/shadow"),
    (
        b"Content-Disposition: attachment; filename*0*=utf-8''..%2F..; filename*1*=%2Fetc%2Fhosts",
        "../../etc/hosts",
    ),
    (b'Content-Disposition: attachment; filename="=?utf-8?q?..=2F..=2Fetc=2Fgroup?="', "../../etc/group"),
    (
        b"Content-Disposition: attachment; filename*=utf-8''%EF%BC%8E%EF%BC%8E%EF%BC%8Fx%EF%BC%8Fprofile",
        "\uff0e\uff0e\uff0fx\uff0fprofile",
    ),
    (b"Content-Disposition: attachment", "../../ct-name"),  # named on its Content-Type only
    (b"Content-Disposition: attachment; filename*=utf-8''evil%00.pdf", "evil\x00.pdf"),
    (
        b"Content-Disposition: attachment; filename*=utf-8''a%0D%0ABcc%3A%20victim%40evil.test.pdf",
        "a\r\nBcc: victim@evil.test.pdf",
    ),
    (b'Content-Disposition: attachment; filename="tab\tand\x01ctl.txt"', "tab\tand\x01ctl.txt"),
    (b"Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe", "invoice\u202efdp.exe"),
    (b'Content-Disposition: attachment; filename="' + LONG.encode() + b'"', LONG),
    (b'Content-Disposition: attachment; filename=""', ""),
    (b'Content-Disposition: attachment; filename="."', "."),
    (b'Content-Disposition: attachment; filename=".."', ".."),
]
TYPE_NAMES = {8: b'; name="../../ct-name"'}  # older clients name a part on its Content-Type


def _payload(n: int) -> bytes:
    return f"payload of part {n}\n".encode() * (n + 1)


def hostile_mail() -> bytes:
    parts = [b"--B\r\nContent-Type: text/plain\r\n\r\nSee the attached files.\r\n"]
    for n, (headers, _) in enumerate(HOSTILE_PARTS):
        parts.append(
            b"--B\r\nContent-Type: application/octet-stream"
            + TYPE_NAMES.get(n, b"")
            + b"\r\n"
            + headers
            + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(_payload(n)).replace(b"\n", b"\r\n")
        )
    return (
        b"From: Mallory <mallory@evil.test>\r\nTo: support@example.com\r\nSubject: Your files\r\n"
        b"Message-ID: <files-1@evil.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n" + b"".join(parts) + b"--B--\r\n"
    )


def _assert_safe_name(name: str) -> None:
    assert name not in ("", ".", ".."), name
    assert "/" not in name and "\\" not in name and ".." not in name, name
    assert not name.startswith("."), name  # no hidden files either
    # Cc and Cf: NUL, CR, LF, TAB, and the bidi overrides and invisible marks.
    assert all(unicodedata.category(ch)[0] != "C" for ch in name), repr(name)
    assert len(name.encode()) <= MAX_NAME_BYTES, len(name)


def _ingested(stack):
    outcome = deliver(stack, hostile_mail())
    assert outcome.outcome == "created", outcome
    [message] = stack.tickets.messages(outcome.ticket)
    return outcome, message


def test_every_hostile_name_is_stored_under_the_ticket_prefix_with_a_safe_name(stack):
    outcome, message = _ingested(stack)
    names = [a.filename for a in message.attachments]
    long_at = [shown for _, shown in HOSTILE_PARTS].index(LONG)
    # The reader may shorten a very long name (keeping its start and extension); only that one.
    assert names[long_at].startswith("A" * 100) and names[long_at].endswith(".pdf")
    assert len(names[long_at]) <= len(LONG)
    names[long_at] = LONG
    assert names == [shown or f"attachment-{n + 1}.bin" for n, (_, shown) in enumerate(HOSTILE_PARTS)], (
        "every part is a file, and the API keeps the name the customer's client showed"
    )
    s3 = stack.client("s3")
    prefix = f"attachments/{outcome.ticket}/{outcome.ses_message_id}/"
    for n, stored in enumerate(message.attachments):
        _assert_safe_name(stored.safe_name)
        assert stored.key == f"{prefix}{n + 1}-{stored.safe_name}", stored.key
        segments = stored.key.split("/")
        assert len(segments) == 4 and not {".", ".."} & set(segments), stored.key
        assert all(unicodedata.category(ch)[0] != "C" for ch in stored.key), repr(stored.key)
        obj = s3.get_object(Bucket=stack.settings.mail_bucket, Key=stored.key)
        assert obj["Body"].read() == _payload(n)
        original = obj["Metadata"]["original-filename"]  # an HTTP header on S3's side
        assert original.isascii() and not re.search(r"[\x00-\x1f\x7f]", original), repr(original)
        assert unquote(original) == stored.filename
    assert sorted(stack.keys(prefix)) == sorted(a.key for a in message.attachments)
    assert stack.keys("attachments/") == stack.keys(prefix), "nothing written outside the message's prefix"
    assert [k for k in stack.keys("") if "etc" in k.split("/") or k.startswith(("/", ".."))] == []
    exe = message.attachments[12]
    assert exe.safe_name == "invoicefdp.exe" and exe.risky  # the override is gone; the type shows


def _disposition_served(url: str) -> str:
    """Follow the download link (S3 in moto answers it) and return Content-Disposition as sent."""
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] in ("application/octet-stream", "application/pdf")
    return response.headers["Content-Disposition"]


def _filename_star(disposition: str) -> str:
    match = re.search(r"filename\*=UTF-8''([^;\s]*)", disposition)
    assert match, disposition
    return unquote(match.group(1))


def test_the_api_download_links_make_s3_send_one_clean_content_disposition(stack):
    """The links staff click: `attachment` for every one of these (no safe inline type), a
    quoted ASCII fallback that is the safe name, and nothing a header parser could split."""
    outcome, message = _ingested(stack)
    detail = views.detail_json(stack.services.desk.show(outcome.ticket))
    [shown] = detail["messages"]
    assert [a["filename"] for a in shown["attachments"]] == [a.filename for a in message.attachments]
    for stored, attachment in zip(message.attachments, shown["attachments"], strict=True):
        asked = parse_qs(urlsplit(attachment["url"]).query)["response-content-disposition"][0]
        served = _disposition_served(attachment["url"])
        assert served == asked
        assert not re.search(r"[\x00-\x1f\x7f]", served), repr(served)
        assert served.startswith("attachment; "), served
        fallback = re.fullmatch(r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'[^;\s"]*', served)
        assert fallback, served
        assert fallback.group(1) == stored.safe_name.encode("ascii", "ignore").decode()
        _assert_safe_name(fallback.group(1))
        assert _filename_star(served) == stored.safe_name  # percent-encoded UTF-8, still safe


def test_the_name_a_browser_saves_under_is_safe_too(stack):
    """RFC 6266 browsers prefer filename* over filename: that one must be safe as well."""
    outcome, _ = _ingested(stack)
    detail = views.detail_json(stack.services.desk.show(outcome.ticket))
    unsafe = []
    for attachment in detail["messages"][0]["attachments"]:
        saved_as = _filename_star(_disposition_served(attachment["url"]))
        try:
            _assert_safe_name(saved_as)
        except AssertionError:
            unsafe.append(saved_as)
    assert unsafe == []
