"""Attack: a customer writes terminal escape sequences into their mail (an encoded-word
subject and name, the body) for the agent who reads it with `inbound tickets list/show`:
OSC 52 puts a command on the agent's clipboard, `ESC[2J` wipes the screen to hide what is
above, `ESC[8m` hides text, OSC 0 retitles the window. They were stored as written (the
mail is kept whole, rightly) and printed raw.

Answer: what the terminal views print has every C0 and C1 control but line feed and tab
shown as U+FFFD; the data is unchanged (the console and --json show it as it is).
"""

from __future__ import annotations

import re

from inbound.cli.ticket_view import ticket_page, ticket_table

OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"
HOSTILE = f"Refund{OSC52}\x1b[2J\x9b31m\x7f"


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
