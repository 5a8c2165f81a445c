"""`inbound tickets` against the app under Chalice's local HTTP server: the queue, a shift,
replies and pages (signing in: test_app_login_cli.py; cc, triage and forward:
test_app_tickets_triage_cli.py)."""

from __future__ import annotations

import json
import stat

from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, pool_of, sent_mail
from tests.support.staff_auth import sign_in
from tests.support.tickets_cli import run


def test_list_json_signs_the_local_agent_in_and_prints_one_object_per_ticket(api, local_agent, capsys):
    made = [new_ticket(api.stack, f"printer {n}") for n in range(2)]
    code, out, _ = run(capsys, "tickets", "list", "--json", "--data-dir", str(local_agent))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == made
    assert rows[0] == {
        "id": made[0],
        "mailbox": "support",
        "status": "new",
        "subject": "printer 0",
        "requester": "alice@customer.org",
        "assignee": None,
        "messages": 1,
        "attachments": 0,
    }
    token = local_agent / "token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and json.loads(token.read_text())["email"] == ANN


def test_a_shift_from_the_terminal_next_note_reply_close(api, local_agent, capsys):
    ticket_id = new_ticket(api.stack, "Printer on fire")
    data = ("--data-dir", str(local_agent))
    code, out, _ = run(capsys, "tickets", "list", *data)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["ID", "STATUS", "PRIORITY"]
    assert ticket_id in out and "Printer on fire" in out
    assert (
        run(capsys, "tickets", "next", *data)[1]
        == f"Claimed {ticket_id}: Printer on fire (alice@customer.org, normal)\n"
    )
    assert run(capsys, "tickets", "next", *data)[1].startswith("No unassigned ticket")
    assert run(capsys, "tickets", "note", ticket_id, "Called them.", *data)[0] == 0
    code, out, _ = run(capsys, "tickets", "reply", ticket_id, "We are on it.", *data)
    assert (code, out) == (0, f"Sent to alice@customer.org on {ticket_id}.\n")
    code, page, _ = run(capsys, "tickets", "show", ticket_id, *data)
    assert f"assignee {ANN}" in page and "Called them." in page and "We are on it." in page
    assert "joined by new" in page and "spf PASS" in page
    assert run(capsys, "tickets", "close", ticket_id, *data)[1] == f"{ticket_id} is closed.\n"
    assert api.stack.tickets.get_ticket(ticket_id).status == "closed"
    code, _, err = run(capsys, "tickets", "show", "T-999999", *data)
    assert code == 1 and "there is no ticket T-999999 (HTTP 404)" in err
    number = ticket_id.removeprefix("T-")
    for typed in (ticket_id.lower(), number):  # as people type it: t-1001, 1001
        code, page, _ = run(capsys, "tickets", "show", typed, *data)
        assert code == 0 and page.startswith(f"{ticket_id}  Printer on fire"), typed


def test_a_blank_reply_from_the_terminal_is_one_line_and_mails_nothing(api, local_agent, capsys, monkeypatch):
    import io

    ticket_id = new_ticket(api.stack, "Printer on fire")
    capsys.readouterr()  # the ingest's own log line (once logging is set up) is not the command's
    data = ("--data-dir", str(local_agent))
    code, out, err = run(capsys, "tickets", "reply", ticket_id, "   ", *data)
    assert (code, out) == (1, "") and err.count("\n") == 1 and "the reply is empty" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("\n\n"))
    code, _, err = run(capsys, "tickets", "reply", ticket_id, "-", *data)
    assert code == 1 and "the reply is empty" in err
    assert [m.kind for m in api.stack.tickets.messages(ticket_id)] == ["customer"]


def test_show_json_follows_the_pages_of_a_long_ticket(api, local_agent, capsys):
    """The API sends a long thread in pages; `tickets show` prints every message."""
    from tests.support.deliver import deliver
    from tests.support.mail_factory import make_mail

    big = "Still on fire. " * 100_000  # 1.5 MB: one message per page
    first = deliver(api.stack, make_mail(message_id="<cli-1@customer.org>", body="1 " + big))
    deliver(
        api.stack,
        make_mail(subject="Re: Printer on fire", in_reply_to="<cli-1@customer.org>", body="2 " + big),
    )
    code, out, _ = run(capsys, "tickets", "show", first.ticket, "--json", "--data-dir", str(local_agent))
    assert code == 0
    assert [m["text"][:2] for m in json.loads(out)["messages"]] == ["1 ", "2 "]


def test_the_terminal_refuses_a_stale_reply_and_asks_before_taking_a_ticket(api, local_agent, capsys):
    from tests.support.deliver import deliver
    from tests.support.mail_factory import make_mail

    data = ("--data-dir", str(local_agent))
    first = deliver(api.stack, make_mail(message_id="<q1@customer.org>"))
    ticket_id = str(first.ticket)
    assert run(capsys, "tickets", "show", ticket_id, *data)[0] == 0
    deliver(
        api.stack, make_mail(subject=f"Re: [{ticket_id}] Printer on fire", in_reply_to="<q1@customer.org>")
    )
    code, out, err = run(capsys, "tickets", "reply", ticket_id, "Unplug it.", *data)
    line = err.splitlines()[-1]  # above it: the local server's request log
    assert (code, out) == (1, "") and "Traceback" not in err
    assert line.startswith("inbound tickets: not sent: alice@customer.org wrote again ")
    assert line.endswith(f"review and send again (`inbound tickets show {ticket_id}`, then reply again)")
    assert run(capsys, "tickets", "show", ticket_id, *data)[0] == 0
    assert run(capsys, "tickets", "reply", ticket_id, "Unplug it.", *data)[0] == 0

    bob = sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), "bob@example.com")
    assert api.get("/api/tickets", token=bob["id"]).status_code == 200
    assert run(capsys, "tickets", "assign", ticket_id, "bob@example.com", *data)[1] == (
        f"{ticket_id} is assigned to bob@example.com (pending).\n"
    )
    code, _, err = run(capsys, "tickets", "assign", ticket_id, "me", *data)
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"inbound tickets: {ticket_id} is assigned to bob@example.com: take it over only if they agree;"
        " add --force to take it over"
    )
    assert run(capsys, "tickets", "assign", ticket_id, "me", "--force", *data)[1] == (
        f"{ticket_id} is assigned to {ANN} (pending).\n"
    )


def test_a_markdown_reply_from_the_terminal_leaves_as_html_and_text_signed(api, local_agent, capsys):
    import base64
    from email import message_from_bytes, policy

    ticket_id = new_ticket(api.stack, "Printer on fire")
    assert api.call("PUT", "/api/profile", {"display_name": "Ann", "signature": "Ann"}).status_code == 200
    outbox = sent_mail()
    capsys.readouterr()

    code, out, _ = run(
        capsys,
        "tickets",
        "reply",
        ticket_id,
        "It is **fixed**.",
        "--markdown",
        "--data-dir",
        str(local_agent),
    )

    assert code == 0 and out.startswith("Sent to alice@customer.org")
    data = outbox[-1]["RawMessage"]["Data"]
    mail = message_from_bytes(
        data if isinstance(data, bytes) else base64.b64decode(data), policy=policy.default
    )
    assert mail["From"] == "Ann at Support team <support@example.com>"
    assert "<p>It is <strong>fixed</strong>.</p>" in mail.get_body(("html",)).get_content()
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == "It is *fixed*.\n\n-- \nAnn\n"


def test_list_sort_due_puts_the_soonest_due_first(api, local_agent, capsys):
    from chalicelib.domain.sla import SlaTarget
    from chalicelib.wiring import services

    services().sla_settings.set_target("support", "normal", SlaTarget(10, 0))
    services().sla_settings.set_target("support", "high", SlaTarget(120, 0))  # a looser contract
    soon, later = new_ticket(api.stack, "first"), new_ticket(api.stack, "second")
    assert api.patch(f"/api/tickets/{later}", {"priority": "high"}).status_code == 200
    data = ("--json", "--mailbox", "support", "--data-dir", str(local_agent))

    def listed(*sort: str) -> list[str]:
        code, out, _ = run(capsys, "tickets", "list", *sort, *data)
        assert code == 0
        ids = [json.loads(line)["id"] for line in out.splitlines()]
        return [i for i in ids if i in (soon, later)]

    assert listed() == [later, soon]  # the queue: priority first
    assert listed("--sort", "due") == [soon, later]


def test_list_says_which_mailbox_it_shows_and_lists_another_or_all(api, local_agent, capsys):
    """GIVEN a ticket in support (the default mailbox) and one in billing, WHEN an agent runs
    `tickets list`, THEN the line under the table names the mailbox shown and how to see the
    other; `--mailbox billing` shows billing's, `--mailbox all` both, with their mailboxes."""
    support = new_ticket(api.stack, "printer")
    billing = deliver(
        api.stack, make_mail(subject="invoice", to="billing@example.com"), ("billing@example.com",)
    ).ticket
    data = ("--data-dir", str(local_agent))

    code, out, _ = run(capsys, "tickets", "list", *data)
    assert code == 0 and support in out and billing not in out
    assert (
        out.splitlines()[-1]
        == "mailbox support (the default); also billing: --mailbox billing, or --mailbox all"
    )

    code, out, _ = run(capsys, "tickets", "list", "--mailbox", "billing", *data)
    assert code == 0 and billing in out and support not in out
    assert out.splitlines()[-1] == "mailbox billing; also support: --mailbox support, or --mailbox all"

    code, out, _ = run(capsys, "tickets", "list", "--mailbox", "all", *data)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["ID", "STATUS", "MAILBOX"]
    assert [line.split()[:3] for line in lines[1:3]] == [
        [support, "new", "support"],
        [billing, "new", "billing"],
    ]
    assert lines[-1] == "mailboxes support, billing (all)"

    code, out, _ = run(capsys, "tickets", "list", "--mailbox", "all", "--json", *data)
    assert [json.loads(line)["mailbox"] for line in out.splitlines()] == ["support", "billing"]
