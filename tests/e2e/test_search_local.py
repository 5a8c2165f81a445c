"""`inbound tickets search` against `inbound up`: mail in over SMTP, found from the terminal
by address, domain, German and Japanese words, in the shape of `tickets list --json`;
`inbound reindex` rebuilds what the index lost."""

from __future__ import annotations

import json
import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests.support.local_up import LocalStackRun, UpProcess, run_inbound

pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack]

ANNA = "anna.berg@kunde.de"
TICKETS_TABLE = "inbound-local-tickets"


def send(up: UpProcess, sender: str, subject: str, text: str) -> None:
    msg = EmailMessage()
    msg["From"] = f"Anna Berg <{sender}>" if sender == ANNA else sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    msg.set_content(text)
    with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg, from_addr=sender, to_addrs=["support@example.com"])


def rows(up: UpProcess, *argv: str) -> list[dict]:
    done = run_inbound(up, "tickets", *argv, "--json")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def wait_for(up: UpProcess, count: int) -> list[dict]:
    deadline = time.monotonic() + 60
    while True:
        listed = rows(up, "list", "--status", "all", "--all")
        if len(listed) >= count or time.monotonic() > deadline:
            return listed
        time.sleep(0.5)


def settled(up: UpProcess, count: int) -> list[dict]:
    """The queue once it stops changing: a ticket's acknowledgement is stored as one of its
    messages after the ticket itself (once the snapshot holding it is saved)."""
    listed = wait_for(up, count)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1.0)
        again = rows(up, "list", "--status", "all", "--all")
        if again == listed:
            break
        listed = again
    return listed


def test_search_from_the_terminal(local_stack: LocalStackRun) -> None:
    up = local_stack.current
    # The stack is shared (with other modules' tests too): count from what the tests before
    # this one left, in any order, every page of them.
    base = len(rows(up, "list", "--status", "all", "--all"))
    # One at a time: inbound up files mails in parallel, and newest first means filed last.
    send(up, ANNA, "Rückerstattung für März", "Die Straße stimmt nicht.")
    assert len(wait_for(up, base + 1)) == base + 1
    send(up, "carl@other.org", "Printer", "Nothing to see here.")
    assert len(wait_for(up, base + 2)) == base + 2
    send(up, ANNA, "請求書について", "請求書が届きません。")
    listed = settled(up, base + 3)
    assert len(listed) == base + 3, listed
    by_subject = {r["subject"]: r for r in listed}
    german, japanese = by_subject["Rückerstattung für März"], by_subject["請求書について"]

    found = rows(up, "search", ANNA)
    assert [r["id"] for r in found] == [japanese["id"], german["id"]]  # newest first
    assert found[0] == japanese  # exactly the shape (and values) of `tickets list --json`
    assert [r["id"] for r in rows(up, "search", "@kunde.de")] == [japanese["id"], german["id"]]
    assert [r["id"] for r in rows(up, "search", "届きません")] == [japanese["id"]]
    assert [r["id"] for r in rows(up, "search", "Rueckerstattung strasse")] == [german["id"]]
    assert [r["id"] for r in rows(up, "search", german["id"])] == [german["id"]]
    assert rows(up, "search", ANNA, "--status", "closed") == []

    table = run_inbound(up, "tickets", "search", "kunde.de")
    assert table.returncode == 0 and german["id"] in table.stdout and "請求書について" in table.stdout

    refused = run_inbound(up, "tickets", "search", "the")
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr


def test_reindex_rebuilds_a_lost_index(local_stack: LocalStackRun) -> None:
    up = local_stack.current
    send(up, "dora@lost.example", "Kaffeemaschine", "Sie ist kaputt.")
    deadline = time.monotonic() + 60
    while not rows(up, "search", "kaffeemaschine") and time.monotonic() < deadline:
        time.sleep(0.5)
    [ticket] = rows(up, "search", "kaffeemaschine")
    db = up.client("dynamodb")
    lost = 0
    for page in db.get_paginator("scan").paginate(TableName=TICKETS_TABLE):  # the test's own look
        for item in page["Items"]:
            if item["pk"]["S"].startswith("TERM#") and item["sk"]["S"].endswith(f"#{ticket['id']}"):
                db.delete_item(TableName=TICKETS_TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
                lost += 1
    assert lost and rows(up, "search", "kaffeemaschine") == []
    done = run_inbound(up, "reindex", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tickets"] >= 1
    assert rows(up, "search", "kaffeemaschine") == [ticket]
