"""Alice's ticket and SES's outbox: the victim and the witness of the hijack tests
(tests/security/test_ticket_hijack.py and the attacks built on it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.wiring import services
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail
from tests.support.ses_requests import send_raw_request
from tests.support.staff_api import Api

ALICE = "alice@customer.org"
BOB = "bob@customer.org"  # alice's colleague
MALLORY = "mallory@evil.test"


@dataclass
class Outbox:
    sent: list[dict] = field(default_factory=list)

    def destinations(self) -> list[list[str]]:
        return [r["Destinations"] for r in self.sent]


@pytest.fixture
def outbox(api: Api) -> Outbox:
    box = Outbox()
    services().outbound.ports.sender.client.meta.events.register(
        "before-call.ses.SendRawEmail", lambda params, **_: box.sent.append(send_raw_request(params["body"]))
    )
    return box


@dataclass
class Victim:
    api: Api
    ticket: str
    before: dict[str, Any]

    def view(self, ticket: str | None = None) -> dict[str, Any]:
        return self.api.get(f"/api/tickets/{ticket or self.ticket}").json_body

    def untouched(self) -> None:
        assert self.view() == self.before, "alice's ticket changed"


@pytest.fixture
def alice(api: Api) -> Victim:
    opened = deliver(
        api.stack,
        make_mail(subject="My invoice", sender=f"Alice <{ALICE}>", message_id="<a1@customer.org>"),
    )
    assert opened.outcome == "created"
    victim = Victim(api, opened.ticket, {})
    victim.before = victim.view()
    return victim


def spoof(alice: Victim, header: str, **mail: Any) -> bytes:
    extra = {"headers": {"Reply-To": MALLORY}} if header == "Reply-To" else {"cc": MALLORY}
    return make_mail(sender=f"Alice <{ALICE}>", body="Send the refund to my new account.", **extra, **mail)


def assert_linked_new_ticket(alice: Victim, outcome: Any, why: str) -> dict[str, Any]:
    assert (outcome.outcome, outcome.thread_signal) == ("created", "new")
    assert outcome.ticket != alice.ticket
    alice.untouched()
    new = alice.view(outcome.ticket)
    assert new["ticket"]["related_ticket"] == alice.ticket
    assert why in new["ticket"]["related_reason"], new["ticket"]["related_reason"]
    assert new["ticket"]["participants"] == []  # mallory's Cc is copied on nothing
    [message] = new["messages"]
    assert message["authenticated"] is False and message["trust_reason"]
    return new


def assert_replies_reach_alice_alone(alice: Victim, outbox: Outbox) -> None:
    sent = alice.api.post(f"/api/tickets/{alice.ticket}/reply", {"text": "Refund on its way."})
    assert sent.status_code == 201, sent.body
    assert outbox.destinations()[-1] == [ALICE]
    assert MALLORY not in str(outbox.sent[-1]["Raw"])
