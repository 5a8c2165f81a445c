"""Mail that used to poison `inbound up`: each is answered 250 and accounted for, and a start
re-drives or quarantines whatever it finds, never aborting.

GIVEN `inbound up`, WHEN a mail with a 5 MB folded Subject, 20,000 Cc addresses, a UTF-8
envelope sender (SMTPUTF8) or a base64 attachment on one 200 KB line arrives, THEN it is
answered 250 and ends as a ticket or a recorded quarantine with its reason, nothing stays
in `incoming/`, and the stack restarts cleanly. A mail in `incoming/` whose notification
cannot be published at start is quarantined with the reason and the start goes on.
"""

from __future__ import annotations

import base64
import os
import smtplib
import time
from email.utils import make_msgid

import pytest

from tests.support.local_up import TICKETS_TABLE, LocalStackRun, UpProcess, eventually, mail_bucket, tickets

# The "restarts" group's one `inbound up` (tests/support/local_up.py), with test_local_stack,
# test_local_staff_restart and test_poison_mail: each restarts it, on its own data.
pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack("restarts")]

SENDER = "poison@customer.test"


def _raw(headers: list[str], body: str = "Please help.\r\n") -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")


def _folded_subject(size: int) -> str:
    words = " ".join(f"word{n}" for n in range(size // 10))
    # Folded at ~70 columns, as a well-behaved sender would.
    lines, line = [], "Subject:"
    for word in words.split(" "):
        if len(line) + len(word) > 70:
            lines.append(line)
            line = ""
        line += " " + word
    return "\r\n".join([*lines, line])


def _many_cc(count: int) -> str:
    return "Cc: " + ",\r\n ".join(f"person{n}@cc.test" for n in range(count))


def _base_headers(subject: str = "Subject: poison") -> list[str]:
    return [
        f"From: {SENDER}",
        "To: support@example.com",
        subject,
        f"Message-ID: {make_msgid(domain='p.test')}",
    ]


def _long_line_mail() -> bytes:
    payload = os.urandom(150_000)
    boundary = "b0undary"
    headers = [*_base_headers("Subject: scan on one line"), "MIME-Version: 1.0"]
    headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
    body = (
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nSee the scan.\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="scan.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{base64.b64encode(payload).decode()}\r\n--{boundary}--\r\n"
    )
    return _raw(headers, body)


POISON = {
    "5 MB folded Subject": lambda: _raw(_base_headers(_folded_subject(5 * 1024 * 1024))),
    "20,000 Cc addresses": lambda: _raw([*_base_headers(), _many_cc(20_000)]),
    "a base64 attachment on one line": _long_line_mail,
}


def _deliver(up: UpProcess, raw: bytes, sender: str = SENDER, utf8: bool = False) -> str:
    with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=120) as smtp:
        smtp.ehlo()
        options = ["SMTPUTF8"] if utf8 else []
        code, reply = smtp.mail(sender, options)
        assert code == 250, reply
        code, reply = smtp.rcpt("support@example.com")
        assert code == 250, reply
        code, reply = smtp.data(raw)
        assert code == 250, reply
        return reply.decode().split()[-1]


def _outcome(up: UpProcess, ses_id: str) -> dict:
    key = {"pk": {"S": f"DELIVERY#{ses_id}"}, "sk": {"S": "DELIVERY"}}
    db = up.client("dynamodb")
    return eventually(
        lambda: db.get_item(TableName=TICKETS_TABLE, Key=key).get("Item"),
        timeout=180,
        what=f"the outcome of {ses_id}",
    )


def _incoming(up: UpProcess) -> list[str]:
    listed = up.client("s3").list_objects_v2(Bucket=mail_bucket(up), Prefix="incoming/")
    return [o["Key"] for o in listed.get("Contents", [])]


def _accounted_for(up: UpProcess, ses_id: str) -> dict:
    record = _outcome(up, ses_id)
    outcome = record["outcome"]["S"]
    assert outcome in ("created", "quarantined"), record
    if outcome == "quarantined":
        assert record.get("reason", {}).get("S"), record
    eventually(lambda: True if f"incoming/{ses_id}" not in _incoming(up) else None, what="incoming/ emptied")
    return record


@pytest.mark.parametrize("kind", sorted(POISON))
def test_poison_mail_is_accepted_and_accounted_for(local_stack: LocalStackRun, kind: str) -> None:
    up = local_stack.current
    ses_id = _deliver(up, POISON[kind]())
    _accounted_for(up, ses_id)


def test_a_long_line_attachment_arrives_whole(local_stack: LocalStackRun) -> None:
    up = local_stack.current
    raw = _long_line_mail()
    ses_id = _deliver(up, raw)
    record = _accounted_for(up, ses_id)
    assert record["outcome"]["S"] == "created"
    ticket_id = record["ticket"]["S"]
    stored = [m for m in tickets(up).messages(ticket_id) if m.key == ses_id]
    assert [a.filename for a in stored[0].attachments] == ["scan.bin"]


def test_a_utf8_envelope_sender_becomes_a_ticket(local_stack: LocalStackRun) -> None:
    up = local_stack.current
    sender = "jörg@bücher.test"
    raw = _raw(
        [f"From: Jörg <{sender}>", "To: support@example.com", "Subject: Grüße", f"Message-ID: {make_msgid()}"]
    )
    ses_id = _deliver(up, raw, sender=sender, utf8=True)
    record = _accounted_for(up, ses_id)
    assert record["outcome"]["S"] == "created"
    # The domain as SES sends to it and reports it (domain/address_ascii.py); the local part as written.
    assert tickets(up).require_ticket(record["ticket"]["S"]).requester == "jörg@xn--bcher-kva.test"


def test_a_start_quarantines_what_it_cannot_redrive_and_carries_on(local_stack: LocalStackRun) -> None:
    """Left in incoming/ by an earlier run: one mail whose topic is gone, and a poison one."""
    before = local_stack.current
    s3, bucket = before.client("s3"), mail_bucket(before)
    gone = "arn:aws:sns:us-east-1:123456789012:deleted-topic"
    s3.put_object(
        Bucket=bucket, Key="incoming/topicgone", Body=_raw(_base_headers()), Metadata={"ses-topic": gone}
    )
    s3.put_object(Bucket=bucket, Key="incoming/leftcc", Body=POISON["20,000 Cc addresses"]())

    code, after = local_stack.restart()

    assert code == 0
    assert "Traceback" not in after.stderr()
    quarantined = _outcome(after, "topicgone")
    assert quarantined["outcome"]["S"] == "quarantined"
    assert "NotFound" in quarantined["reason"]["S"]
    kept = after.client("s3").head_object(Bucket=bucket, Key="quarantine/failed/topicgone")
    assert "re-drive" in kept["Metadata"]["reason"]
    _accounted_for(after, "leftcc")
    time.sleep(0.5)
    assert "incoming/topicgone" not in _incoming(after)
