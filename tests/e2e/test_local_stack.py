"""`inbound up` end to end: real SMTP in, tickets in DynamoDB, bytes in S3, a restart in between.

One `inbound up` serves the module and two others (start-up costs seconds); the restart
tests restart it on the same data dir, and the tests after them (in a random order) use the
restarted stack.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import stat
import subprocess
import urllib.request
from pathlib import Path

import pytest

from chalicelib.domain.reply_tokens import reply_address
from tests.support.local_up import (
    CUSTOMER,
    LocalStackRun,
    UpProcess,
    eventually,
    inbound_command,
    mail,
    mail_bucket,
    s3_bytes,
    secret_of,
    send,
    stored_message,
    ticket_of,
    tickets,
)

# The "restarts" group's one `inbound up` (tests/support/local_up.py), with test_local_stack,
# test_local_staff_restart and test_poison_mail: each restarts it, on its own data.
pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack("restarts")]


def test_health_answers_without_a_token(local_stack: LocalStackRun) -> None:
    with urllib.request.urlopen(f"{local_stack.current.http}/api/health", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok"}


def test_a_recipient_outside_the_rule_set_is_refused(local_stack: LocalStackRun) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(local_stack.current, mail("Wrong door", to="someone@other.test"))
    code, text = refused.value.recipients["someone@other.test"]
    assert code == 550
    assert b"5.1.1" in text


def test_mail_over_the_ses_size_limit_is_refused(local_stack: LocalStackRun) -> None:
    big = "Subject: too big\r\n\r\n" + "x" * (40 * 1024 * 1024 + 1)
    with smtplib.SMTP("127.0.0.1", local_stack.current.smtp_port, timeout=30) as smtp:
        smtp.ehlo()
        assert int(smtp.esmtp_features["size"]) == 40 * 1024 * 1024
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail(CUSTOMER, ["support@example.com"], big)
    assert refused.value.smtp_code == 552


def test_mail_with_an_attachment_becomes_a_ticket(local_stack: LocalStackRun) -> None:
    payload = os.urandom(150_000)
    msg = mail("Printer on fire", attachment=("scan.bin", payload))
    send(local_stack.current, msg)

    ticket = ticket_of(local_stack.current, msg)
    assert ticket.subject == "Printer on fire"
    assert ticket.requester == CUSTOMER
    stored = stored_message(local_stack.current, ticket, msg)
    assert stored.thread_signal == "new"
    assert [a.filename for a in stored.attachments] == ["scan.bin"]
    assert s3_bytes(local_stack.current, stored.attachments[0].key) == payload
    # The verdicts came from the SES notification the listener published.
    assert stored.verdicts["spam"] == "PASS"


def test_a_reply_to_the_signed_address_threads_by_token(local_stack: LocalStackRun) -> None:
    up = local_stack.current
    # A customer of its own: the acknowledgement counted below must not meet the daily cap
    # (3 a sender) that the other tests' mail from CUSTOMER may have used up, in any order.
    customer = "Rita Example <rita@threading.test>"
    first = mail("Invoice is wrong")
    first.replace_header("From", customer)
    send(up, first)
    ticket = ticket_of(up, first)
    secret = secret_of(up)
    address = reply_address(secret.encode("utf-8"), "support@example.com", ticket.id, ticket.token_nonce)

    reply = mail("Still wrong", to=address)  # no References: only the token can thread it
    reply.replace_header("From", customer)
    send(up, reply)

    stored = stored_message(up, ticket, reply)
    assert stored.thread_signal == "token"
    # The mail, its acknowledgement and the reply. The acknowledgement is sent and stored after
    # the first mail's commit, in the same invocation, which a busy machine can still be in when
    # another poller has filed the reply (a gate saw 2).
    store = tickets(up)
    eventually(
        lambda: store.require_ticket(ticket.id).message_count == 3 or None, 30, "the acknowledgement stored"
    )


def test_the_first_agent_can_sign_in(local_stack: LocalStackRun) -> None:
    creds_file = local_stack.data_dir / "credentials.json"
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    assert _sign_in(local_stack.current, local_stack.credentials())


def _sign_in(up: UpProcess, creds: dict[str, str]) -> str:
    runtime = json.loads((up.data_dir / "stack.json").read_text())
    result = up.client("cognito-idp").initiate_auth(
        ClientId=runtime["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": creds["username"], "PASSWORD": creds["password"]},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def _staff_add(data_dir: Path, email: str) -> str:
    done = subprocess.run(
        [*inbound_command(), "staff", "add", email, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split("one-time password: ", 1)[1].split()[0]


def test_staff_add_creates_an_agent_with_a_one_time_password(local_stack: LocalStackRun) -> None:
    """GIVEN `inbound staff add` WHEN the agent signs in with the printed password
    THEN Cognito asks them to choose their own (it is one-time)."""
    up = local_stack.current
    password = _staff_add(local_stack.data_dir, "second.agent@example.com")
    runtime = json.loads((up.data_dir / "stack.json").read_text())
    answer = up.client("cognito-idp").initiate_auth(
        ClientId=runtime["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "second.agent@example.com", "PASSWORD": password},
    )
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_state_survives_a_restart(local_stack: LocalStackRun) -> None:
    before = local_stack.current
    payload = os.urandom(80_000)
    msg = mail("Keep this", attachment=("keep.bin", payload))
    send(before, msg)
    ticket = ticket_of(before, msg)
    key = stored_message(before, ticket, msg).attachments[0].key
    secret = secret_of(before)
    # Its own agent, so the test holds alone and in any order (not test_staff_add's).
    _staff_add(local_stack.data_dir, "kept.agent@example.com")
    # The acknowledgement is stored on the ticket just after the ticket itself: wait for it.
    ticket = eventually(
        lambda: t if (t := tickets(before).get_ticket(ticket.id)) and t.message_count == 2 else None,
        what=f"the acknowledgement stored on {ticket.id}",
    )
    # Received but not yet processed when the stack stops: only the raw mail in incoming/.
    pending = mail("Arrived just before the stop")
    s3 = before.client("s3")
    s3.put_object(Bucket=mail_bucket(before), Key="incoming/pendingbeforestop", Body=pending.as_bytes())

    code, after = local_stack.restart()

    assert code == 0
    assert any(line.startswith("inbound stopped") for line in before.lines)
    # A fresh moto server, filled from the data dir (its port may be the last run's again:
    # the OS hands a free port out again, and in-process requests leave no connections on it);
    # the line is logged just after the ready line
    restored = eventually(
        lambda: re.search(r"restored (\d+) objects, (\d+) items", after.stderr()),
        what="the restart's 'restored ... objects, ... items' line",
    )
    assert after.proc.pid != before.proc.pid
    assert int(restored[1]) > 0 and int(restored[2]) > 0, after.stderr()
    assert tickets(after).get_ticket(ticket.id) == ticket
    assert s3_bytes(after, key) == payload
    # Reply addresses handed out before the restart still verify.
    kept = secret_of(after)
    assert kept == secret
    assert _sign_in(after, local_stack.credentials())
    pool = json.loads((after.data_dir / "stack.json").read_text())["user_pool_id"]
    agent = after.client("cognito-idp").admin_get_user(UserPoolId=pool, Username="kept.agent@example.com")
    assert agent["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # `staff add` agents come back too

    assert ticket_of(after, pending).subject == "Arrived just before the stop"  # re-driven on start
    fresh = mail("After the restart")
    send(after, fresh)
    new_ticket = ticket_of(after, fresh)
    assert new_ticket.id != ticket.id
