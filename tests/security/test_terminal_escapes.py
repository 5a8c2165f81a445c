"""Attack: a customer writes terminal escape sequences into their mail (an encoded-word
subject and name, the body) for the agent who reads it with `inbound tickets list/show`:
OSC 52 puts a command on the agent's clipboard, `ESC[2J` wipes the screen to hide what is
above, `ESC[8m` hides text, OSC 0 retitles the window. They were stored as written (the
mail is kept whole, rightly) and printed raw.

The same holds for every other CLI listing of stored text: an announcement's subject
(`inbound announce list/status`), a suppressed address, its reason and source (`inbound
suppression list`), and for the Unicode bidi controls (U+202E shows `gpj.exe` as `exe.jpg`).

Answer: what the terminal views print has every C0 and C1 control but line feed and tab,
and every bidi control, shown as U+FFFD (inbound/cli/terminal.py); --json lines carry them
as JSON escapes; the data is unchanged (the console and --json show it as it is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import SimpleNamespace

import boto3
import pytest

from chalicelib.adapters.dynamodb_suppression_list import DynamoDBSuppressionList
from chalicelib.domain.suppression import SuppressionEntry
from inbound.cli import main
from inbound.cli.ticket_view import ticket_page, ticket_table
from inbound.local.embedded import REGION
from tests.support.stack_dir import running_stack, without_aws_credentials

OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"
HOSTILE = f"Refund{OSC52}\x1b[2J\x9b31m\x7f"
BIDI = "invoice\u202egpj.exe\u2066"
# What a terminal obeys: C0 but line feed and tab, DEL, C1, the bidi controls.
OBEYED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _detail() -> dict:
    ticket = {
        "id": "T-1",
        "subject": HOSTILE,
        "status": "new",
        "priority": "normal",
        "assignee": "",
        "mailbox": "support",
        "requester": "eve@customer.test",
        "participants": [f"x{OSC52}@customer.test"],
        "tags": [],
        "messages": 1,
        "created_at": "2026-12-07T10:00:00.000Z",
        "related_ticket": "T-0",
        "related_reason": HOSTILE,
    }
    message = {
        "kind": "customer",
        "direction": "inbound",
        "time": "2026-12-07T10:00:00.000Z",
        "sender": "eve@customer.test",
        "sender_name": "Eve\x1b[8m",
        "thread_signal": "new",
        "text": f"hello\t{OSC52} world\n\x1b]0;owned\x07 line two",
        "trust_reason": HOSTILE,
        "authenticated": False,
        "attachments": [
            {
                "filename": HOSTILE,
                "content_type": "text/plain",
                "size": 1,
                "disposition": "attachment",
                "url": "",
            }
        ],
    }
    return {"ticket": ticket, "messages": [message]}


def test_the_terminal_views_print_no_control_sequence_a_customer_wrote():
    detail = _detail()

    printed = ticket_page(detail, full=True) + "\n" + ticket_table([detail["ticket"]], 200)

    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", printed), repr(printed)
    assert "Refund\ufffd]52;c;cm0gLXJmIH4K\ufffd" in printed and "hello\t" in printed


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[SimpleNamespace]:
    with running_stack(tmp_path_factory.mktemp("data")) as stack_dir:
        yield stack_dir


def test_suppression_list_and_announcements_print_no_control_a_sender_or_list_wrote(
    running, monkeypatch, tmp_path, capsys
):
    without_aws_credentials(monkeypatch, tmp_path)
    data = ("--data-dir", str(running.data_dir))
    session = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=REGION)
    dynamodb = session.client("dynamodb", region_name=REGION, endpoint_url=running.endpoint)
    table = running.stack.outputs["INBOUND_SUPPRESSION_TABLE"]
    hostile = SuppressionEntry(
        address=f'"{OSC52}"@evil.test', reason="BOUNCE", at="2026-12-07T10:00:00.000Z", source=BIDI
    )
    DynamoDBSuppressionList(dynamodb, table).put(hostile)
    audience = tmp_path / "list.txt"
    audience.write_text("bob@customer.test\n", encoding="utf-8")
    assert (
        main(
            [
                "announce",
                "create",
                "--subject",
                HOSTILE + BIDI,
                "--text",
                "Hi",
                "--list",
                str(audience),
                *data,
            ]
        )
        == 0
    )
    capsys.readouterr()

    printed = []
    for argv in (("suppression", "list"), ("announce", "list")):
        assert main([*argv, *data]) == 0
        printed.append(capsys.readouterr().out)
    [announcement_id] = [line.split("\t")[0] for line in printed[1].splitlines()]
    assert main(["announce", "status", announcement_id, "--all", *data]) == 0
    printed.append(capsys.readouterr().out)
    for out in printed:
        assert out and not OBEYED.search(out), repr(out)
    assert "Refund\ufffd]52;c;cm0gLXJmIH4K\ufffd" in printed[0] + printed[1]

    kept = []
    for argv, field in (
        (("suppression", "list", "--json"), "source"),
        (("announce", "list", "--json"), "subject"),
    ):
        assert main([*argv, *data]) == 0
        out = capsys.readouterr().out
        assert not OBEYED.search(out), repr(out)
        kept += [json.loads(line)[field] for line in out.splitlines()]
    assert BIDI in kept and HOSTILE + BIDI in kept, "--json keeps the data as it is"
