"""`inbound tickets cc|priority|tag|merge|split|reopen|forward` against the app under
Chalice's local HTTP server: who replies copy, triage and forwarding from a terminal."""

from __future__ import annotations

import json

from inbound.cli import main
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, sent_mail
from tests.support.tickets_cli import run


def test_cc_lists_adds_and_removes_who_replies_copy(api, local_agent, capsys):

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
