"""`inbound process --json`: each outcome as one JSON line, the linked ticket included."""

from __future__ import annotations

import json

from inbound.cli import main
from tests.support.mail_factory import make_mail


def test_a_reply_by_references_from_a_stranger_names_the_ticket_it_is_linked_to(tmp_path, capsys):
    """Files carry no SES verdicts, so the reply is unauthenticated: a new ticket, linked."""
    (tmp_path / "1.eml").write_bytes(
        make_mail(sender="john@machine.example", message_id="<1234@machine.example>")
    )
    (tmp_path / "2.eml").write_bytes(
        make_mail(
            sender="mary@example.net", subject="Re: Printer on fire", references="<1234@machine.example>"
        )
    )
    assert main(["process", "--json", str(tmp_path)]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (second["outcome"], second["thread_signal"]) == ("created", "new")
    assert second["related_ticket"] == first["ticket"]


def test_a_folder_that_does_not_exist_is_one_line_saying_what_to_do(tmp_path, capsys):
    """README's `inbound process inbox/` in a folder without inbox/: no stack is started, and
    the line says where the mail must be."""
    assert main(["process", "--json", str(tmp_path / "inbox")]) != 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"inbound process: {tmp_path / 'inbox'}: no such file or folder: save the mail to process as .eml files"
        " (your mail program's 'Save as') in a folder and name that folder, or name the files"
    ]
