"""`inbound tickets` and `inbound login` against the app under Chalice's local HTTP server."""

from __future__ import annotations

import json
import os
import stat

import pytest

from inbound.cli import main
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, pool_of, sent_mail
from tests.support.staff_auth import PASSWORD, sign_in


@pytest.fixture
def local_agent(api, local_server, tmp_path):
    """A data dir as `inbound up` leaves it: the first agent's credentials and the stack's endpoints."""
    pool_id, client_id = pool_of(api.stack)
    sign_in(api.stack.client("cognito-idp"), pool_id, client_id, ANN)
    (tmp_path / "credentials.json").write_text(json.dumps({"username": ANN, "password": PASSWORD}))
    # A running stack (this process) whose AWS is moto in-process: no endpoint_url.
    stack = {
        "pid": os.getpid(),
        "http": local_server,
        "user_pool_client_id": client_id,
        "region": "us-east-1",
    }
    (tmp_path / "stack.json").write_text(json.dumps(stack))
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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


def test_login_with_an_email_and_password_caches_a_token_the_other_commands_use(
    api, local_server, tmp_path, capsys, monkeypatch
):
    pool_id, client_id = pool_of(api.stack)
    sign_in(api.stack.client("cognito-idp"), pool_id, client_id, "bob@example.com")
    monkeypatch.setenv("INBOUND_PASSWORD", PASSWORD)
    data = ("--data-dir", str(tmp_path), "--url", local_server)
    code, out, _ = run(capsys, "login", "--email", "bob@example.com", "--client-id", client_id, *data)
    assert code == 0 and "as bob@example.com" in out
    new_ticket(api.stack)
    claimed = json.loads(run(capsys, "tickets", "next", "--json", *data)[1])
    assert claimed["assignee"] == "bob@example.com"
    monkeypatch.setenv("INBOUND_PASSWORD", "Wrong-password-1")
    code, _, err = run(capsys, "login", "--email", "bob@example.com", "--client-id", client_id, *data)
    assert code == 1 and "NotAuthorizedException" in err


def test_without_a_token_or_local_credentials_the_cli_says_to_log_in(local_server, tmp_path, capsys):
    code, _, err = run(capsys, "tickets", "list", "--url", local_server, "--data-dir", str(tmp_path))
    assert code == 1 and "run `inbound login`" in err


def test_after_a_restart_the_token_of_the_last_run_is_not_refreshed_at_its_gone_endpoint(
    api, local_agent, capsys
):
    """GIVEN the token an earlier run of `inbound up` left (its Cognito on a port that is now
    closed, expired) WHEN `inbound tickets list` runs against the current run THEN the local
    agent is signed in at the current run's Cognito, not refreshed at the old port."""
    from inbound.cli.staff_login import Tokens, load_tokens, save_tokens
    from inbound.local.embedded import free_port

    client_id = json.loads((local_agent / "stack.json").read_text())["user_pool_client_id"]
    old_run = f"http://127.0.0.1:{free_port()}"
    server = json.loads((local_agent / "stack.json").read_text())["http"]
    save_tokens(local_agent, Tokens("old", "old", "refresh", 0, client_id, "us-east-1", old_run, ANN, server))
    new_ticket(api.stack, "after the restart")
    code, out, err = run(capsys, "tickets", "list", "--data-dir", str(local_agent))
    assert code == 0 and "after the restart" in out and "Error" not in err
    assert load_tokens(local_agent).endpoint_url is None  # this run's (moto in-process)


def test_an_expired_token_of_this_run_is_refreshed_at_this_runs_cognito(api, local_agent, capsys):
    """GIVEN this run's cached token, expired WHEN a command runs THEN its refresh token gets a
    new ID token from this run's Cognito (no new sign-in: the refresh token is kept)."""
    from dataclasses import replace

    from inbound.cli.staff_login import load_tokens, save_tokens

    data = ("--data-dir", str(local_agent))
    assert run(capsys, "tickets", "list", *data)[0] == 0
    signed_in = load_tokens(local_agent)
    save_tokens(local_agent, replace(signed_in, id_token="expired", expires_at=0))
    new_ticket(api.stack, "after an hour")
    code, out, _ = run(capsys, "tickets", "list", *data)
    assert code == 0 and "after an hour" in out
    renewed = load_tokens(local_agent)
    assert renewed.id_token not in ("expired", "") and renewed.refresh_token == signed_in.refresh_token


def test_cc_lists_adds_and_removes_who_replies_copy(api, local_agent, capsys):
    from tests.support.deliver import deliver
    from tests.support.mail_factory import make_mail

    opened = deliver(api.stack, make_mail(cc="bob@customer.org, mallory@evil.test"))
    data = ("--data-dir", str(local_agent))
    code, out, _ = run(capsys, "tickets", "cc", opened.ticket, *data)
    assert (code, out) == (
        0,
        f"{opened.ticket}: to alice@customer.org, cc bob@customer.org, mallory@evil.test\n",
    )
    code, out, _ = run(
        capsys,
        "tickets",
        "cc",
        opened.ticket,
        "--remove",
        "mallory@evil.test",
        "--add",
        "carol@customer.org",
        *data,
    )
    assert (code, out) == (
        0,
        f"{opened.ticket}: to alice@customer.org, cc bob@customer.org, carol@customer.org\n",
    )
    assert (
        "cc: bob@customer.org, carol@customer.org" in run(capsys, "tickets", "show", opened.ticket, *data)[1]
    )
    code, _, err = run(capsys, "tickets", "cc", opened.ticket, "--remove", "alice@customer.org", *data)
    assert code == 1 and "is the requester" in err and "Traceback" not in err


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


def test_triage_from_the_terminal_priority_tags_merge_split_and_reopen(api, local_agent, capsys):
    first = new_ticket(api.stack, "Printer on fire")
    second = new_ticket(api.stack, "Printer still on fire")
    data = ("--data-dir", str(local_agent))
    assert run(capsys, "tickets", "priority", second, "urgent", *data)[:2] == (
        0,
        f"{second} has urgent priority.\n",
    )
    assert run(capsys, "tickets", "tag", second, "vip", "printer", *data)[:2] == (
        0,
        f"{second} tags: printer, vip.\n",
    )
    assert run(capsys, "tickets", "tag", second, "--remove", "printer", *data)[:2] == (
        0,
        f"{second} tags: vip.\n",
    )

    code, out, _ = run(capsys, "tickets", "merge", first, second, *data)
    assert code == 0 and out.startswith(f"{first} merged into {second} (")
    show = json.loads(run(capsys, "tickets", "show", second, "--json", *data)[1])
    numbered = [m for m in show["messages"] if m["kind"] != "event"]
    moved = next(
        n for n, m in enumerate(numbered, 1) if m["subject"] == "Printer on fire" and m["kind"] == "customer"
    )
    code, out, _ = run(capsys, "tickets", "split", second, str(moved), *data)
    assert code == 0, out
    new = out.split()[2].rstrip(":")
    assert out == f"Split into {new}: Printer on fire (linked to {second}).\n"
    assert f"\na message was split into {new}\n" in run(capsys, "tickets", "show", second, *data)[1]
    assert f"\nsplit from {second} by {ANN}\n" in run(capsys, "tickets", "show", new, *data)[1]

    assert run(capsys, "tickets", "close", new, *data)[0] == 0
    assert run(capsys, "tickets", "reopen", new, *data)[:2] == (0, f"{new} is open again.\n")
    code, _, err = run(capsys, "tickets", "split", second, "99", *data)
    assert code == 1 and f"{second} has messages [1] to [" in err and "Traceback" not in err
    code, _, err = run(capsys, "tickets", "tag", second, *data)
    assert code == 1 and "name a tag to add" in err


def test_a_markdown_reply_from_the_terminal_leaves_as_html_and_text_signed(api, local_agent, capsys):
    import base64
    from email import message_from_bytes, policy

    from tests.support.staff_api import sent_mail

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


def test_the_terminals_ticket_view_shows_who_forwarded_to_whom(api, local_agent, capsys):
    ticket_id = new_ticket(api.stack)
    api.post(f"/api/tickets/{ticket_id}/forward", {"to": "engineering@partner.test", "note": "Bug?"})

    code = main(["tickets", "show", ticket_id, "--data-dir", str(local_agent)])

    page = capsys.readouterr().out
    [line] = [row for row in page.splitlines() if "forwarded" in row]
    assert code == 0 and line.endswith(f"{ANN} forwarded the ticket to engineering@partner.test: “Bug?”")


def test_tickets_forward_sends_the_ticket_or_one_message_and_says_what_it_recorded(api, local_agent, capsys):
    ticket_id = new_ticket(api.stack)
    sent = sent_mail()
    data = ("--data-dir", str(local_agent))

    code, out, _ = run(
        capsys, "tickets", "forward", ticket_id, "--to", "Eng@Partner.test", "--note", "Bug?", *data
    )
    assert code == 0 and out == f"{ticket_id}: forwarded the ticket to eng@partner.test: “Bug?”.\n"
    code, out, _ = run(
        capsys, "tickets", "forward", ticket_id, "--to", "eng@partner.test", "--message", "1", *data
    )
    assert code == 0 and "forwarded the message from " in out
    assert [m["Destinations"] for m in sent] == [["eng@partner.test"], ["eng@partner.test"]]

    code, out, err = run(capsys, "tickets", "forward", ticket_id, "--to", "not an address", *data)
    # stderr holds the in-process server's access log too; the command's own line is the last
    assert code != 0 and "Traceback" not in err
    assert (
        err.strip().splitlines()[-1]
        == "inbound tickets: 'not an address' is not an address to forward to (HTTP 400)"
    )


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
