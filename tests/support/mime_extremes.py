"""The extreme shapes of hostile raw mail, each a plain function of a size and a kind (huge
headers, tens of thousands of header lines, deep nesting, thousands of parts, over-long ids,
addresses and names, NUL floods, long lines): `mime_strategies.hostile_mail` draws them at
moderate sizes, and a test can run one once at its full size (`HOSTILE_SHAPES`). Pure
functions: no I/O and no project imports."""

from __future__ import annotations

import base64
from collections.abc import Callable


def numbered_boundary(n: int) -> bytes:
    return b"=_b" + str(n).encode() + b"_="


def huge_subject(size: int, kind: str = "ascii") -> bytes:
    """A Subject of `size` bytes: one long word, many words, encoded words or raw 8-bit."""
    unit = {"ascii": b"A", "words": b"word ", "encoded": b"=?utf-8?q?=C3=A9?= ", "8bit": "é".encode()}[kind]
    return b"From: alice@customer.org\nSubject: " + unit * (size // len(unit)) + b"\n\nbody\n"


_HEADER_LINES: dict[str, Callable[[int], bytes]] = {
    "distinct": lambda n: b"X-Header-%d: value %d" % (n, n),
    "received": lambda n: (
        b"Received: from mx%d.customer.org by mx.example.com; Fri, 27 Nov 2026 10:00:00 +0000" % n
    ),
    "cc": lambda n: b"Cc: person%d@customer.org" % n,
    "references": lambda n: b"References: <ref%d@customer.org>" % n,
    "subject": lambda n: b"Subject: again %d" % n,
}


def many_headers(count: int, kind: str = "distinct") -> bytes:
    """`count` header lines: distinct names, Received trace lines, Cc, References or Subjects."""
    line = _HEADER_LINES[kind]
    return b"From: alice@customer.org\n" + b"\n".join(line(n) for n in range(count)) + b"\n\nbody\n"


def deep_nesting(levels: int, kind: str = "multipart") -> bytes:
    """A leaf inside `levels` multiparts (or message/rfc822 wrappers, or unclosed multiparts)."""
    if kind == "rfc822":
        message = b"From: inner@customer.org\nSubject: inner\n\nleaf\n"
        for _ in range(levels):
            message = b"From: alice@customer.org\nContent-Type: message/rfc822\n\n" + message
        return message
    body, ctype = b"leaf\n", b"text/plain"
    for n in range(levels):
        close = b"" if kind == "unclosed" else b"--" + numbered_boundary(n) + b"--\n"
        body = b"--" + numbered_boundary(n) + b"\nContent-Type: " + ctype + b"\n\n" + body + b"\n" + close
        ctype = b'multipart/mixed; boundary="' + numbered_boundary(n) + b'"'
    return b"From: alice@customer.org\nMIME-Version: 1.0\nContent-Type: " + ctype + b"\n\n" + body


_PARTS: dict[str, Callable[[int], bytes]] = {
    "text": lambda n: b"Content-Type: text/plain\n\npart %d\n" % n,
    "attachments": lambda n: (
        b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=f%d.pdf\n\n%%PDF %d\n"
        % (n, n)
    ),
    "inline": lambda n: b"Content-Type: image/png\nContent-ID: <img%d@x>\n\n\x89PNG %d\n" % (n, n),
    "empty": lambda n: b"",
    "base64": lambda n: (
        b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n!!%d!!\n" % n
    ),
}


def many_parts(count: int, kind: str = "text") -> bytes:
    """One multipart with `count` parts: text, named attachments, inline images, empty or broken base64."""
    part = _PARTS[kind]
    body = b"".join(b"--B\n" + part(n) + b"\n" for n in range(count))
    return (
        b"From: alice@customer.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
        + body
        + b"--B--\n"
    )


def long_field(size: int, kind: str) -> bytes:
    """One field of `size` characters of the kind that ends up in keys and items: ids, addresses, names."""
    filler = b"x" * size
    whole = {
        "message-id": b"From: alice@customer.org\nMessage-ID: <" + filler + b"@customer.org>",
        "message-id-8bit": b"From: alice@customer.org\nMessage-ID: <"
        + "𝕏".encode() * size
        + b"@customer.org>",
        "in-reply-to": b"From: alice@customer.org\nIn-Reply-To: <" + filler + b"@customer.org>",
        "from-local": b"From: " + filler + b"@customer.org",
        "from-domain": b"From: alice@" + filler + b".org",
        "display-name": b'From: "' + filler + b'" <alice@customer.org>',
        "reply-to": b"From: alice@customer.org\nReply-To: " + filler + b"@customer.org",
    }
    if kind in whole:
        return whole[kind] + b"\n\nbody\n"
    part = {
        "filename": b'Content-Type: application/pdf; name="'
        + filler
        + b'.pdf"\nContent-Disposition: attachment',
        "content-id": b"Content-Type: image/png\nContent-ID: <" + filler + b">",
        "charset": b"Content-Type: text/plain; charset=" + filler,
    }[kind]
    return (
        b"From: alice@customer.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
        + part
        + b"\n\n%PDF body\n--B--\n"
    )


def bounce_with_recipients(count: int, kind: str = "short") -> bytes:
    """A DSN naming `count` failed recipients (`long`: each local part 300 characters)."""
    local = b"u" * (300 if kind == "long" else 4)
    fields = b"".join(
        b"\nFinal-Recipient: rfc822; " + local + b"%d@customer.org\nAction: failed\nStatus: 5.1.1\n" % n
        for n in range(count)
    )
    return (
        b"From: MAILER-DAEMON@mx.customer.org\nSubject: failure\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="d"\n\n'
        b"--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n" + fields + b"--d--\n"
    )


def nul_flood(size: int, kind: str = "body") -> bytes:
    """NULs and invalid UTF-8 filling the body, or header lines made of them."""
    if kind == "headers":
        return b"From: alice@customer.org\n" + b"X-\x00: \x00\xff\n" * (size // 9) + b"\nbody\n"
    return b"From: alice@customer.org\nSubject: nul\n\n" + b"\x00\xff\xfe\x80" * (size // 4)


def long_line(size: int, kind: str = "body") -> bytes:
    """One line of `size` bytes: plain text, base64 without line breaks, or unclosed HTML tags."""
    if kind == "base64":
        return (
            b"From: alice@customer.org\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
            + base64.b64encode(b"\x00" * (size * 3 // 4))
        )
    if kind == "html":
        return b"From: alice@customer.org\nContent-Type: text/html\n\n" + b"<div>" * (size // 5)
    return b"From: alice@customer.org\nSubject: line\n\n" + b"x" * size


HostileShape = Callable[[int, str], bytes]
# name: (builder, kinds, sizes Hypothesis draws from, the named extreme size)
HOSTILE_SHAPES: dict[str, tuple[HostileShape, tuple[str, ...], tuple[int, ...], int]] = {
    "huge subject": (huge_subject, ("ascii", "words", "encoded", "8bit"), (1_000, 20_000), 200_000),
    "many headers": (many_headers, tuple(_HEADER_LINES), (100, 1_000), 10_000),
    "deep nesting": (deep_nesting, ("multipart", "rfc822", "unclosed"), (10, 60), 200),
    "many parts": (many_parts, tuple(_PARTS), (50, 300), 2_000),
    "long field": (
        long_field,
        (
            "message-id",
            "message-id-8bit",
            "in-reply-to",
            "from-local",
            "from-domain",
            "display-name",
            "reply-to",
            "filename",
            "content-id",
            "charset",
        ),
        (300, 3_000),
        500_000,
    ),  # fmt: skip
    "bounce recipients": (bounce_with_recipients, ("short", "long"), (10, 300), 20_000),
    "nul flood": (nul_flood, ("body", "headers"), (1_000, 50_000), 1_000_000),
    "long line": (long_line, ("body", "base64", "html"), (10_000, 200_000), 5_000_000),
}
