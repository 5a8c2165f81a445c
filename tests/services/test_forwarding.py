"""Forwarding on fakes: one message or the whole ticket to a third party, through the guard,
recorded in the thread, the answer going to the agent, never to the ticket."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from chalicelib.errors import InvalidRequest, Suppressed
from chalicelib.services.ticket_forwarding import TicketForwarding
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

PDF = b"%PDF-1.4\n" + b"log excerpt " * 100
AGENT = "ann@example.com"


def setup(**settings):
    svc = mail_out(acknowledge_new_tickets=False, **settings)
    forwarding = TicketForwarding(svc.settings, svc.outbound, svc.desk.store)
    first = make_mail(
        subject="Export crashes",
        body="The CSV export crashes every time.",
        attachments=(
            ("crash.pdf", "application/pdf", PDF),
            ("run.exe", "application/octet-stream", b"MZ" + bytes(50)),
        ),
    )
    ticket = deliver_via(svc, first).ticket
    return svc, forwarding, ticket


def mime(sent):
    return message_from_bytes(sent.raw, policy=policy.default)


def test_a_message_goes_to_engineering_with_its_files_and_the_note_and_is_recorded():
    svc, forwarding, ticket = setup()
    [customer] = svc.desk.tickets.messages(ticket)

    line = forwarding.forward(
        ticket, AGENT, "Engineering@Partner.test", "Can you look at this?", customer.key
    )

    [sent] = svc.sender.sent
    mail = mime(sent)
    assert sent.destinations == ("engineering@partner.test",)
    assert (mail["Subject"], mail["Reply-To"], mail["From"]) == (
        f"Fwd: Export crashes [{ticket}]",
        AGENT,
        "Support team <support@example.com>",
    )
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Can you look at this?")
    assert "From: Alice Example <alice@customer.org>" in text and "The CSV export crashes" in text
    assert "Not forwarded (files that run or render when opened): run.exe" in text
    assert [(p.get_filename(), p.get_content()) for p in mail.iter_attachments()] == [("crash.pdf", PDF)]
    events = [m for m in svc.desk.tickets.messages(ticket) if m.kind == "event"]
    assert [(e.sender, e.body.text) for e in events] == [(AGENT, line.body.text)]
    assert line.body.text.startswith("forwarded the message from alice@customer.org of ")
    assert line.body.text.endswith("to engineering@partner.test: “Can you look at this?”")


def test_the_whole_ticket_carries_its_mail_but_no_notes():
    svc, forwarding, ticket = setup()
    svc.outbound.reply(ticket, AGENT, "We are looking into it.")
    svc.desk.desk.add_note(ticket, AGENT, "Secret: customer is on the old plan")

    forwarding.forward(ticket, AGENT, "vendor@partner.example")

    text = mime(svc.sender.sent[-1]).get_body(("plain",)).get_content()
    assert text.count("---------- Forwarded message ---------") == 2
    assert text.index("The CSV export crashes") < text.index("We are looking into it.")
    assert "Secret" not in text
    assert [m.body.text for m in svc.desk.tickets.messages(ticket) if m.kind == "event"][-1] == (
        "forwarded the ticket to vendor@partner.example"
    )


def test_a_suppressed_address_is_refused_and_nothing_is_sent_or_recorded():
    svc, forwarding, ticket = setup()
    svc.suppression.import_list("engineering@partner.test,BOUNCE", by="test")

    with pytest.raises(Suppressed):
        forwarding.forward(ticket, AGENT, "engineering@partner.test")
    with pytest.raises(InvalidRequest, match="not an address"):
        forwarding.forward(ticket, AGENT, "engineering@partner.test\r\nBcc: x@evil.test")

    assert svc.sender.sent == []
    assert [m for m in svc.desk.tickets.messages(ticket) if m.kind == "event"] == []


def test_an_address_this_desk_receives_is_refused_it_would_come_back_as_a_ticket():
    svc, forwarding, ticket = setup()
    for here in ("engineering@example.com", "Billing@Example.com"):
        with pytest.raises(InvalidRequest, match="would come back to this desk as a new ticket"):
            forwarding.forward(ticket, AGENT, here)
    assert svc.sender.sent == []
    assert [m for m in svc.desk.tickets.messages(ticket) if m.kind == "event"] == []


def test_a_note_is_not_forwarded():
    svc, forwarding, ticket = setup()
    note = svc.desk.desk.add_note(ticket, AGENT, "internal")
    with pytest.raises(InvalidRequest, match="note is not forwarded"):
        forwarding.forward(ticket, AGENT, "engineering@partner.test", message_key=note.key)


def test_files_too_large_for_one_mail_go_as_links():
    svc, forwarding, ticket = setup(max_send_bytes=40_000)

    forwarding.forward(ticket, AGENT, "engineering@partner.test")

    mail = mime(svc.sender.sent[0])
    assert list(mail.iter_attachments()) == []
    assert (
        "crash.pdf (1.2 KB): https://mail.example.com/attachments/" in mail.get_body(("plain",)).get_content()
    )


def test_a_bounce_from_the_forward_address_counts_against_it():
    svc, forwarding, ticket = setup()
    forwarding.forward(ticket, AGENT, "engineering@partner.test")
    sent = mime(svc.sender.sent[0])
    known = svc.table.send_ledger.sent_messages([sent["Message-ID"]], int(svc.desk.clock.timestamp()))
    assert known == {sent["Message-ID"]: frozenset({"engineering@partner.test"})}


def test_a_forward_is_signed_and_named_as_the_agents_replies_are():
    from chalicelib.domain.saved_replies import AgentProfile

    svc = mail_out(acknowledge_new_tickets=False)
    ana = AgentProfile(AGENT, "Ana", "Ana Lima\nSupport, Example Ltd")
    forwarding = TicketForwarding(svc.settings, svc.outbound, svc.desk.store, profile=lambda agent: ana)
    ticket = deliver_via(svc, make_mail(subject="Export crashes", body="The CSV export crashes.")).ticket

    forwarding.forward(ticket, AGENT, "engineering@partner.test", "Can you look at this?")

    [sent] = svc.sender.sent
    mail = mime(sent)
    assert mail["From"] == "Ana at Support team <support@example.com>"
    text = mail.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n").startswith(
        "Can you look at this?\n\n-- \nAna Lima\nSupport, Example Ltd\n"
    )
    assert text.index("Support, Example Ltd") < text.index("The CSV export crashes.")
