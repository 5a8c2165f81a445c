"""Mail going out of `inbound up`: acknowledgement, reply threading, bounce to suppression.

Real SMTP in, the emulated SES outbox and event stream out, the staff API in between.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from email.utils import make_msgid, parseaddr

import pytest

from tests.support.local_up import (
    LocalStackRun,
    UpProcess,
    eventually,
    inbound_command,
    local_outbox,
    send_as_sender,
    stored_message,
    ticket_of,
    tickets,
    tickets_cli,
)

pytestmark = pytest.mark.e2e


def _mail(sender: str, subject: str, to: str = "support@example.com", in_reply_to: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(f"{subject}.")
    return msg


def _token(up: UpProcess, creds: dict[str, str]) -> str:
    runtime = json.loads((up.data_dir / "stack.json").read_text())
    answer = up.client("cognito-idp").initiate_auth(
        ClientId=runtime["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": creds["username"], "PASSWORD": creds["password"]},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def _reply(up: UpProcess, token: str, ticket_id: str, text: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{up.http}/api/tickets/{ticket_id}/reply",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_the_acknowledgement_lands_in_the_outbox_and_a_reply_to_it_threads(
    local_stack: LocalStackRun,
) -> None:
    """GIVEN a new mail WHEN the customer answers the acknowledgement (to its Reply-To)
    THEN the answer joins the same ticket by its reply token."""
    up = local_stack.current
    first = _mail("Alice Example <alice@customer.org>", "Printer on fire")
    send_as_sender(up, first, "support@example.com")
    ticket = ticket_of(up, first)
    sent = eventually(
        lambda: next((m for m in local_outbox(up.data_dir) if ticket.id in m["subject"]), None),
        what=f"the acknowledgement of {ticket.id} in the outbox",
    )
    assert sent["to"] == ["alice@customer.org"] and sent["events"] == ["Send", "Delivery"]
    raw = (up.data_dir / "outbox" / sent["file"]).read_text()
    acknowledgement = message_from_string(raw)
    reply_to = parseaddr(str(acknowledgement["Reply-To"]))[1]
    assert (
        reply_to.startswith(f"support+{ticket.id}.") and acknowledgement["Auto-Submitted"] == "auto-replied"
    )

    answer = _mail(
        "Alice Example <alice@customer.org>",
        f"Re: {acknowledgement['Subject']}",
        to=reply_to,
        in_reply_to=str(acknowledgement["Message-ID"]),
    )
    send_as_sender(up, answer, reply_to)
    message = stored_message(up, ticket, answer)
    assert message.thread_signal == "token"
    assert tickets(up).get_ticket(ticket.id).message_count == 3  # mail, acknowledgement, answer


def test_a_reply_to_a_bouncing_address_ends_with_it_suppressed_and_the_next_reply_refused(
    local_stack: LocalStackRun,
) -> None:
    """GIVEN a ticket from the SES simulator's bounce address WHEN staff reply
    THEN SES's bounce event suppresses it through the feedback queue, and the next reply is refused."""
    up = local_stack.current
    bouncing = "bounce+e2e@simulator.amazonses.com"
    first = _mail(f"Bouncer <{bouncing}>", "Please answer me")
    send_as_sender(up, first, "support@example.com")
    ticket = ticket_of(up, first)
    token = _token(up, local_stack.credentials())

    status, body = _reply(up, token, ticket.id, "Here is our answer.")
    assert status == 201, body

    def suppressed() -> dict | None:
        out = subprocess.run(
            [
                *inbound_command(),
                "suppression",
                "check",
                bouncing,
                "--json",
                "--endpoint-url",
                up.endpoint,
                "--stage",
                "local",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        found = json.loads(out.stdout)
        # The stage's own list, which the feedback queue fills: the emulated SES account list
        # (reason SES_ACCOUNT_*) may name the address first, and the guard caches that look-up.
        on_own_list = found["suppressed"] and not str(found["reason"]).startswith("SES_ACCOUNT_")
        return found if on_own_list else None

    entry = eventually(suppressed, timeout=60, what=f"{bouncing} on the suppression list")
    assert "BOUNCE" in str(entry["reason"]).upper()
    status, body = _reply(up, token, ticket.id, "Did you get it?")
    assert status == 409 and body["error"] == "suppressed", body


def test_a_shift_in_the_terminal_against_the_local_stack(local_stack: LocalStackRun) -> None:
    """GIVEN a new mail WHEN an agent works it with `inbound tickets` (signed in automatically)
    THEN list and show find it, the reply reaches the outbox and close closes it."""
    up = local_stack.current
    first = _mail("Carol <carol@customer.org>", "Terminal shift")
    send_as_sender(up, first, "support@example.com")
    ticket = ticket_of(up, first)
    listed = [json.loads(line) for line in tickets_cli(up, "list", "--json", "--status", "all").splitlines()]
    row = next(t for t in listed if t["id"] == ticket.id)
    assert row["requester"] == "carol@customer.org" and row["subject"] == "Terminal shift"
    claimed = json.loads(
        tickets_cli(up, "next", "--json")
    )  # the oldest unassigned ticket, maybe not this one
    agent = local_stack.credentials()["username"]
    assert claimed["assignee"] == agent and tickets(up).require_ticket(claimed["id"]).assignee == agent
    assert "Terminal shift" in tickets_cli(up, "show", ticket.id)
    tickets_cli(up, "reply", ticket.id, "Fixed from the terminal.")

    def to_carol() -> list[dict] | None:
        sent = [m for m in local_outbox(up.data_dir) if m["to"] == ["carol@customer.org"]]
        return sent if len(sent) == 2 else None  # the acknowledgement, then the reply

    acknowledgement, reply = eventually(to_carol, what="the reply in the outbox")
    sent = message_from_string((up.data_dir / "outbox" / reply["file"]).read_text(), policy=default)
    assert "Fixed from the terminal." in sent.get_body(("plain",)).get_content()
    tickets_cli(up, "close", ticket.id)
    assert tickets(up).get_ticket(ticket.id).status == "closed"
