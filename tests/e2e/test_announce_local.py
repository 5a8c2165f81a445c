"""Announcements against `inbound up`: from the terminal, through the queue and the guard, once each.

Requesters write in over real SMTP; `inbound announce create --dry-run`, `create`, `test`,
`send` and `status --json` run as an operator runs them; the `send_announcement` function
is driven by the local stack's SQS poller and sends through the emulated SES, whose outbox
is counted. A second announcement to an uploaded list meets the mailbox simulator's bounce
and complaint addresses, a suppressed address and one that unsubscribed with one click.
With INBOUND_LONG=1, 400 recipients of a list, sent through a kill -9 (test_announce_report.py
does that in `make test`, to its 120 requesters).
"""

from __future__ import annotations

import json
import os
import signal
import urllib.parse
import urllib.request
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from tests.support.announce_cli import announcement_status, inbound_in
from tests.support.local_up import (
    LocalStackRun,
    eventually,
    local_outbox,
    send_as_sender,
    start_up,
)

pytestmark = pytest.mark.e2e
# One domain each: acknowledgements to unauthenticated senders are capped per domain and day.
REQUESTERS = [f"customer{n:02d}@c{n:02d}.test" for n in range(30)]
SUPPRESSED = REQUESTERS[:3]


def _settled(
    data_dir: Path, announcement: str, waiting: tuple[str, ...], mails: tuple[str, int]
) -> dict[str, Any] | None:
    """The status once nobody is `waiting`; asked (a command: half a second of CPU) only once
    the outbox holds `mails` (that many whose subject starts so), the sends it waits for."""
    prefix, count = mails
    if sum(m["subject"].startswith(prefix) for m in local_outbox(data_dir)) < count:
        return None
    status = announcement_status(data_dir, announcement)
    return None if any(status["counts"][s] for s in waiting) else status


def _mails(data_dir: Path, subject: str) -> list[dict[str, Any]]:
    return [m for m in local_outbox(data_dir) if m["subject"] == subject]


def _requester_mail(sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@example.com", "Login fails"
    msg["Message-ID"] = make_msgid(domain="customer.test")
    msg.set_content("I cannot log in.")
    return msg


def test_an_announcement_reaches_each_allowed_requester_once(local_stack: LocalStackRun, tmp_path: Path):
    up, data = local_stack.current, local_stack.data_dir
    for sender in REQUESTERS:
        send_as_sender(up, _requester_mail(sender), "support@example.com")
    eventually(
        lambda: True if len({m["to"][0] for m in local_outbox(data)}) >= len(REQUESTERS) else None,
        timeout=120,
        what="every requester's acknowledgement",
    )
    (tmp_path / "suppressed.txt").write_text("\n".join(SUPPRESSED) + "\n")
    inbound_in(data, "suppression", "import", str(tmp_path / "suppressed.txt"))

    # GIVEN the audience of every requester of an open ticket, previewed first. Nothing on
    # `inbound up` is authenticated (no DNS), so the requesters are left out until included.
    create = ("announce", "create", "--status", "new", "--subject", "Login outage, {name}")
    text = ("--text", "We know about {ticket}. It is fixed by noon.")
    unproven = json.loads(inbound_in(data, *create, *text, "--dry-run", "--json").stdout)
    assert (unproven["audience_count"], unproven["left_out_unauthenticated"]) == (0, len(REQUESTERS))
    create += ("--include-unauthenticated",)
    preview = json.loads(inbound_in(data, *create, *text, "--dry-run", "--json").stdout)
    assert preview["audience_count"] == len(REQUESTERS) and preview["dry_run"] is True
    assert preview["sample"]["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    assert preview["sample"]["text"].startswith("We know about T-")
    assert inbound_in(data, "announce", "list").stdout == ""  # a dry run stores nothing
    created = json.loads(inbound_in(data, *create, *text, "--json").stdout)
    announcement = created["id"]
    inbound_in(data, "announce", "test", announcement, "--to", "me@example.org")
    subject_of = {r: f"Login outage, {r.partition('@')[0]}" for r in REQUESTERS}
    eventually(lambda: _mails(data, "Login outage, me") or None, what="the test send")

    # WHEN it is sent
    inbound_in(data, "announce", "send", announcement)
    allowed = [r for r in REQUESTERS if r not in SUPPRESSED]
    status = eventually(
        # The allowed requesters' mails and the test send's.
        lambda: _settled(
            data, announcement, ("pending", "sending", "sent"), ("Login outage, ", len(allowed) + 1)
        ),
        timeout=120,
        what="every recipient sent and delivered",
    )

    # THEN each allowed requester got exactly one mail, the suppressed none, with their reason
    got = {r: len(_mails(data, subject_of[r])) for r in REQUESTERS}
    assert got == {r: (0 if r in SUPPRESSED else 1) for r in REQUESTERS}
    states = {r["address"]: (r["state"], r["reason"].partition(":")[0]) for r in status["recipients"]}
    assert {a: states[a] for a in SUPPRESSED} == dict.fromkeys(SUPPRESSED, ("refused", "suppressed"))
    assert {states[a][0] for a in allowed} == {"delivered"}
    assert status["counts"]["delivered"] == len(allowed) and status["counts"]["refused"] == 3

    # WHEN one recipient unsubscribes with one click (RFC 8058's POST, no sign-in)
    quitter = allowed[0]
    [record] = _mails(data, subject_of[quitter])
    mail = message_from_string((data / "outbox" / record["file"]).read_text(), policy=policy.default)
    url = str(mail["List-Unsubscribe"]).split(",")[0].strip(" <>")
    assert url.startswith(up.http + "/u/")
    with urllib.request.urlopen(url, timeout=30) as page:  # GET: a confirm page, changes nothing
        assert b"<form method='post'" in page.read()
    form = urllib.parse.urlencode({"List-Unsubscribe": "One-Click"}).encode()
    request = urllib.request.Request(url, data=form, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=30) as page:
        assert b"You are unsubscribed" in page.read()
    assert announcement_status(data, announcement)["counts"]["unsubscribed"] == 1
    check = json.loads(inbound_in(data, "suppression", "check", quitter, "--json").stdout)
    assert check["suppressed"] is False  # ticket replies still reach them

    # AND a second announcement, to an uploaded list, meets the simulator and the opt-out
    bounce, complaint = "bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com"
    fresh = ["newcomer@customer.test", "Dora <dora@customer.test>"]
    (tmp_path / "list.txt").write_text("\n".join([*fresh, bounce, complaint, quitter, SUPPRESSED[0]]) + "\n")
    second = json.loads(
        inbound_in(
            data, "announce", "create", "--list", str(tmp_path / "list.txt"),
            "--subject", "Policy update", "--text", "Hello {name}.", "--json",
        ).stdout
    )["id"]  # fmt: skip
    inbound_in(data, "announce", "send", second)
    status = eventually(
        lambda: _settled(data, second, ("pending", "sending", "sent"), ("Policy update", 4)),
        timeout=120,
        what="the second send",
    )
    states = {r["address"]: (r["state"], r["reason"].partition(":")[0]) for r in status["recipients"]}
    assert states == {
        "newcomer@customer.test": ("delivered", ""),
        "dora@customer.test": ("delivered", ""),
        bounce: ("bounced", states[bounce][1]),
        complaint: ("complained", states[complaint][1]),
        quitter: ("refused", "unsubscribed"),
        SUPPRESSED[0]: ("refused", "suppressed"),
    }
    second_mails = _mails(data, "Policy update")
    assert sorted(a for m in second_mails for a in m["to"]) == sorted(
        ["newcomer@customer.test", "dora@customer.test", bounce, complaint]
    )
    # The bounce and the complaint are counted apart from transactional mail.
    report = json.loads(inbound_in(data, "reputation", "--json").stdout)
    today = report["days"][0] if report["days"] else {}
    assert today.get("bounces", 0) == 0 and today.get("complaints", 0) == 0, today


def _sent_so_far(data_dir: Path, subject: str) -> list[str]:
    """Recipients of `subject` in the emulated SES outbox, read straight from its index."""
    index = data_dir / "outbox" / "index.jsonl"
    if not index.exists():
        return []
    records = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
    return [a for r in records if r["subject"] == subject for a in r["to"]]


@pytest.mark.skipif(
    os.environ.get("INBOUND_LONG") != "1",
    reason="INBOUND_LONG=1: in `make test` tests/e2e/test_announce_report.py kills a send a third "
    "of the way through and finds every allowed recipient in the outbox exactly once",
)
def test_a_kill_9_half_way_through_a_send_sends_nobody_twice(tmp_path: Path):
    """GIVEN 400 recipients being sent WHEN `inbound up` is killed with SIGKILL after the first
    mails left, started again and the send resumed THEN nobody gets two mails; a recipient
    caught in the one window (SES took it, `sent` not written) stays `sending`, never resent."""
    data, started = tmp_path / "data", []
    # 8 batches of 50: the local stack runs 3 at a time and saves (releasing their held
    # mail) between rounds, so the first mails leave while most recipients are still queued.
    addresses = [f"reader{n:03d}@r{n:03d}.test" for n in range(400)]
    (tmp_path / "list.txt").write_text("\n".join(addresses) + "\n")
    try:
        up = start_up(data, tmp_path, started)
        created = inbound_in(
            data, "announce", "create", "--list", str(tmp_path / "list.txt"),
            "--subject", "Maintenance tonight", "--text", "Hello {name}.", "--json",
        )  # fmt: skip
        announcement = json.loads(created.stdout)["id"]
        inbound_in(data, "announce", "send", announcement)
        before = eventually(
            lambda: found if (found := _sent_so_far(data, "Maintenance tonight")) else None,
            timeout=120,
            what="the first mails of the send",
        )
        up.proc.send_signal(signal.SIGKILL)
        up.proc.wait(timeout=30)
        start_up(data, tmp_path, started)
        # The batches the last snapshot held come back at once (inbound/local/sqs_snapshot.py);
        # sending again queues the recipients still pending too: each recipient's claim keeps
        # the two from sending anyone twice.
        inbound_in(data, "announce", "send", announcement)

        # A round's mail leaves the emulated SES with the save after it (every few seconds);
        # a recipient whose Delivery event is not applied yet stays `sent`. Done when nobody is
        # pending or being sent and the outbox stopped growing.
        looks: list[int] = []

        def resumed() -> dict[str, Any] | None:
            status = _settled(data, announcement, ("pending", "sending"))
            looks.append(len(_sent_so_far(data, "Maintenance tonight")) if status else -1)
            return status if len(looks) >= 3 and len(set(looks[-3:])) == 1 and looks[-1] >= 0 else None

        status = eventually(resumed, timeout=180, what="the resumed send")
        sent = _sent_so_far(data, "Maintenance tonight")
        assert len(sent) == len(set(sent)), f"sent twice: {sorted(a for a in set(sent) if sent.count(a) > 1)}"
        states = {r["address"]: r["state"] for r in status["recipients"]}
        assert set(states.values()) <= {"delivered", "sent"}, status["counts"]
        assert {a for a, s in states.items() if s == "delivered"} <= set(sent)
        assert len(sent) > len(before), "the send went on after the restart"
        assert len(before) < len(addresses) and states.get(before[0]) in ("delivered", "sent")
        print(f"{len(before)} mails out before the kill, {len(sent)} in all; {status['counts']}")
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()
