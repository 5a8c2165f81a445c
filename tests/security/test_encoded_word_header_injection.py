"""Attack: header injection through RFC 2047 encoded words. CPython's email package (before
the fix for CVE-2024-6923, and 3.11.7 here) decodes an encoded word it is handed in a header
value and writes the decoded text back unquoted: `=?utf-8?q?x=0D=0ABcc=3A_victim=40evil.test?=`
becomes a line break and a header of its own. check_header looked for CR/LF in the text it
was given, not in what an encoded word in it stands for. A customer controls three values
that reach our replies' headers: their subject (sent double-encoded, it is stored as an
encoded word), their Message-ID (In-Reply-To, References) and their files' names (a
forward's parts); an agent controls their display name (From).

Answer: build_mime writes no encoded word it was given: in a subject, a display name and a
file's name the `=?` that would open one is broken (`= ?`), so the text goes out as text;
an id that holds one is left out of In-Reply-To and References.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from chalicelib.domain import outbound_mail as om
from chalicelib.domain.mail import Attachment
from tests.support.deliver import deliver_via
from tests.support.outbound_services import mail_out

ENCODED_BCC = "=?utf-8?q?x=0D=0ABcc=3A_victim=40evil.test=0D=0AX-Evil=3A_1?="


def _header_lines(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    return [line for line in head.split("\r\n") if line and not line[0].isspace()]


def _no_injected_header(raw: bytes) -> None:
    names = [line.partition(":")[0].lower() for line in _header_lines(raw)]
    assert "bcc" not in names and "x-evil" not in names, names
    for part in message_from_bytes(raw, policy=policy.default).walk():
        assert part["Bcc"] is None and part["X-Evil"] is None


def test_a_customers_encoded_subject_and_message_id_inject_nothing_into_the_reply():
    svc = mail_out(acknowledge_new_tickets=False)
    outer = base64.b64encode(ENCODED_BCC.encode()).decode()
    raw = (
        f"From: eve@customer.test\r\nTo: support@example.com\r\nSubject: =?utf-8?b?{outer}?=\r\n"
        f"Message-ID: <{ENCODED_BCC}@customer.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n"
    ).encode()
    ticket = deliver_via(svc, raw).ticket

    svc.outbound.reply(ticket, "ann@example.com", "Hello")

    [sent] = svc.sender.sent
    _no_injected_header(sent.raw)
    assert sent.destinations == ("eve@customer.test",)


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": f"Re: {ENCODED_BCC}"},
        {"from_name": f"{ENCODED_BCC} at Support team"},
        {"in_reply_to": f"<{ENCODED_BCC}@x>"},
        {"references": ("<ok@x>", ENCODED_BCC)},
        {"attachments": (Attachment(f"{ENCODED_BCC}.pdf", "application/pdf", b"%PDF-1.4"),)},
    ],
    ids=["subject", "display name", "in-reply-to", "references", "file name"],
)
def test_no_header_value_we_are_handed_is_decoded_into_a_header(changes):
    mail = om.OutgoingMail(
        ticket_id="T-1",
        from_address="support@example.com",
        from_name="Support team",
        to=("a@customer.test",),
        reply_to="",
        subject="Hello",
        text="text",
        message_id="<m@example.com>",
        date=datetime(2026, 12, 7, tzinfo=UTC),
    )
    mail = om.OutgoingMail(**{**mail.__dict__, **changes})

    raw = om.build_mime(mail)

    _no_injected_header(raw)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in parsed["From"].addresses] == ["support@example.com"]


def test_a_subject_that_only_looks_alike_is_written_as_it_is():
    assert om.as_text("Is 1+1=? Re: a=?b") == "Is 1+1=? Re: a=?b"
    assert om.as_text("x =?UTF-8*en?Q?y?= z") == "x = ?UTF-8*en?Q?y?= z"
