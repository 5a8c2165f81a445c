"""The outbound guard and sending on fakes: acknowledgements and their loop limits, staff
replies with their Cc, the sandbox, the reputation guard. What needs SES or S3 themselves
(the configuration set on the wire, SigV4 links, MessageRejected, throttling through botocore
hooks) stays in tests/adapters/test_outbound.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from chalicelib.domain.mail import Attachment
from chalicelib.errors import ConcurrentUpdate, SendRefused, StaleReply, Suppressed
from chalicelib.services.outbound import OutboundService
from tests.fakes.reopen import FakeReopener
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out
from tests.support.ses_feedback import bounce_note, send_note


def mime(sent):
    return message_from_bytes(sent.raw, policy=policy.default)


@pytest.mark.parametrize(
    "mail, reason",
    [
        (make_mail(sender="Shop <noreply@shop.example>"), "automatic_recipient"),
        (make_mail(headers={"X-Auto-Response-Suppress": "All"}), "automatic_trigger"),
        (make_mail(sender="Support <support@example.com>"), "automatic_recipient"),
    ],
    ids=["no-reply sender", "asks for no auto-reply", "our own address"],
)
def test_acknowledgements_are_refused_where_they_would_loop(mail, reason):
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, mail)

    result = svc.outbound.acknowledge(outcome.ticket, svc.ingest.ports.read_mail(mail))

    assert (result.state, result.reason) == ("refused", reason) and svc.sender.sent == []
    assert len(svc.desk.tickets.messages(outcome.ticket)) == 1
    assert svc.outbound.acknowledge(outcome.ticket, svc.ingest.ports.read_mail(mail)).state == "already"


def test_a_sender_gets_a_few_acknowledgements_a_day_not_one_per_mail():
    svc = mail_out()

    tickets = [deliver_via(svc, make_mail(subject=f"Question {n}")).ticket for n in range(4)]

    assert len(svc.sender.sent) == 3 and len(set(tickets)) == 4
    assert len(svc.desk.tickets.messages(tickets[-1])) == 1


def test_the_domain_cap_holds_back_unauthenticated_senders_only():
    """GIVEN a cap of 2 a day per domain WHEN three authenticated and three spoofed senders of
    one domain write THEN all three authenticated and two spoofed ones are acknowledged."""
    svc = mail_out(auto_replies_per_domain_per_day=2)
    for n in range(3):
        deliver_via(svc, make_mail(sender=f"real{n}@customer.org"))
        deliver_via(svc, make_mail(sender=f"spoof{n}@customer.org"), dmarc="FAIL")

    assert sorted(svc.sender.recipients()) == [f"real{n}@customer.org" for n in range(3)] + [
        "spoof0@customer.org",
        "spoof1@customer.org",
    ]
    held = svc.table.acknowledgements.claim_ack("T-1006", "", 0)
    assert (held.state, held.reason) == ("refused", "rate_limited")


def test_a_mailbox_may_acknowledge_authenticated_senders_only():
    svc = mail_out(ack_authenticated_only=frozenset({"support"}))
    spoofed = deliver_via(svc, make_mail(sender="spoof@customer.org"), dmarc="FAIL")
    deliver_via(
        svc,
        make_mail(sender="spoof@customer.org", to="billing@example.com"),
        dmarc="FAIL",
        recipients=("billing@example.com",),
    )
    deliver_via(svc, make_mail(sender="real@customer.org"))

    assert [(s.source, s.destinations) for s in svc.sender.sent] == [
        ("billing@example.com", ("spoof@customer.org",)),
        ("support@example.com", ("real@customer.org",)),
    ]
    result = svc.outbound.acknowledge(spoofed.ticket, svc.ingest.ports.read_mail(make_mail()))
    assert (result.state, result.reason, result.detail) == ("already", "refused", "unauthenticated")
    assert svc.desk.tickets.get_ticket(spoofed.ticket).status == "new", "the mail is still a ticket"


def test_a_staff_reply_goes_to_the_requester_with_cc_and_threads():
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail(message_id="<q1@customer.org>", cc="Bob <bob@customer.org>"))

    message = svc.outbound.reply(
        outcome.ticket, "agent-7", "Have you tried water?", html="<p>Have you tried <b>water</b>?</p>"
    )

    [sent] = svc.sender.sent
    reply = mime(sent)
    assert sent.destinations == ("alice@customer.org", "bob@customer.org")
    assert (reply["To"], reply["Cc"]) == ("alice@customer.org", "bob@customer.org")
    assert reply["In-Reply-To"] == "<q1@customer.org>" and reply["References"] == "<q1@customer.org>"
    assert reply["Subject"] == f"Re: Printer on fire [{outcome.ticket}]" and reply["Auto-Submitted"] is None
    assert reply.get_body(("html",)).get_content().strip() == "<p>Have you tried <b>water</b>?</p>"
    assert (message.direction, message.kind, message.sender_name, message.reason) == (
        "outbound",
        "staff",
        "agent-7",
        "",
    )
    tickets = svc.desk.tickets
    assert tickets.messages(outcome.ticket)[-1] == message
    assert tickets.tickets_by_message_ids("support", [message.message_id]) == {
        message.message_id: outcome.ticket
    }
    assert tickets.get_ticket(outcome.ticket).message_count == 2
    assert svc.table.send_ledger.sent_messages([message.message_id], 0) == {
        message.message_id: frozenset({"alice@customer.org", "bob@customer.org"})
    }


def test_a_reply_after_a_colleague_closed_the_ticket_asks_first_then_reopens_it():
    """GIVEN ann read the thread WHEN bob closes the ticket and ann sends THEN her reply is
    refused (who closed it, when), nothing is mailed, the ticket stays closed; sent again
    after reading, it goes out and the ticket is pending again, with the audit line."""
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    tickets, desk = svc.desk.tickets, svc.desk.desk
    seen = tickets.messages(outcome.ticket)[-1].key
    desk.update(outcome.ticket, "bob@example.com", status="closed")
    svc.desk.clock += timedelta(minutes=2)

    with pytest.raises(StaleReply) as refused:
        svc.outbound.reply(outcome.ticket, "ann@example.com", "Unplug it.", last_seen=seen)

    assert str(refused.value) == "bob@example.com closed the ticket 2 min ago — send again to reopen it"
    assert svc.sender.sent == [] and tickets.get_ticket(outcome.ticket).status == "closed"
    seen = tickets.messages(outcome.ticket)[-1].key
    svc.desk.clock += timedelta(seconds=30)  # the thread orders lines of one moment by random keys
    sent = svc.outbound.reply(outcome.ticket, "ann@example.com", "Unplug it.", last_seen=seen)
    assert len(svc.sender.sent) == 1
    ticket = tickets.get_ticket(outcome.ticket)
    assert ticket.status == "pending" and ticket.sla.resolved_at == ""
    thread = tickets.messages(outcome.ticket)
    assert sent in thread
    assert [(m.sender_name, m.body.text) for m in thread if m.kind == "event"] == [
        ("bob@example.com", "status new → closed"),
        ("ann@example.com", f"reply not sent: {refused.value}"),
        ("ann@example.com", "status closed → pending"),
    ]


def test_a_reply_on_a_solved_ticket_without_a_thread_check_reopens_it_too():
    """The CLI without `tickets show` first, or an integration: no last_seen, no question,
    the same reopening."""
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    svc.desk.desk.update(outcome.ticket, "ann@example.com", status="solved")
    svc.desk.clock += timedelta(seconds=30)

    svc.outbound.reply(outcome.ticket, "ann@example.com", "One more thing.")

    assert svc.desk.tickets.get_ticket(outcome.ticket).status == "pending"
    events = [m.body.text for m in svc.desk.tickets.messages(outcome.ticket) if m.kind == "event"]
    assert events == ["status new → solved", "status solved → pending"]


def test_a_reply_goes_out_when_its_ticket_cannot_be_reopened_and_the_colleagues_edit_stands(caplog):
    """GIVEN a closed ticket WHEN the reply's reopening is refused (changed meanwhile) THEN the
    reply is sent and kept on the ticket all the same, the ticket stays closed, the log says why."""
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    svc.desk.desk.update(outcome.ticket, "bob@example.com", status="closed")
    refused = ConcurrentUpdate(f"{outcome.ticket} changed while updating it")
    reopener = FakeReopener(svc.desk.tickets, refusal=refused)
    outbound = OutboundService(svc.settings, replace(svc.outbound.ports, reopener=reopener))

    sent = outbound.reply(outcome.ticket, "ann@example.com", "One more thing.")

    assert len(svc.sender.sent) == 1 and sent in svc.desk.tickets.messages(outcome.ticket)
    assert svc.desk.tickets.get_ticket(outcome.ticket).status == "closed"
    assert f"reply on {outcome.ticket} sent, ticket not reopened: {refused}" in caplog.messages


def test_suppressed_requester_refuses_the_reply_and_a_suppressed_cc_is_left_out():
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail(cc="bob@customer.org"))
    svc.feedback.record(bounce_note("bob@customer.org"))

    message = svc.outbound.reply(outcome.ticket, "agent", "Hello")

    assert svc.sender.recipients() == ["alice@customer.org"]
    assert "not sent to bob@customer.org: suppressed" in message.reason
    svc.feedback.record(bounce_note("alice@customer.org", feedback_id="fb-2"))
    with pytest.raises(Suppressed) as refused:
        svc.outbound.reply(outcome.ticket, "agent", "Hello again")
    assert refused.value.reason == "suppressed" and "alice@customer.org" in str(refused.value)
    assert len(svc.sender.sent) == 1


def test_an_address_on_the_ses_account_list_is_refused_too():
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    svc.sender.account_list["alice@customer.org"] = "COMPLAINT"

    with pytest.raises(SendRefused) as refused:
        svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert refused.value.reason == "account_suppressed" and svc.sender.sent == []


def test_in_the_sandbox_only_verified_recipients_get_mail():
    svc = mail_out(acknowledge_new_tickets=False, ses_sandbox="true")
    outcome = deliver_via(svc, make_mail())
    with pytest.raises(SendRefused) as refused:
        svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert refused.value.reason == "sandbox" and svc.sender.sent == []

    svc.sender.verified.add("alice@customer.org")
    svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert len(svc.sender.sent) == 1


def test_in_auto_mode_the_account_decides_and_an_unknown_account_sends():
    svc = mail_out(acknowledge_new_tickets=False, ses_sandbox="auto")
    outcome = deliver_via(svc, make_mail())
    svc.sender.production = False
    with pytest.raises(SendRefused) as refused:
        svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert refused.value.reason == "sandbox"

    svc.sender.production = None  # SES cannot say: SES itself enforces the sandbox when it sends
    svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert svc.sender.recipients() == ["alice@customer.org"]


def test_a_file_name_with_a_line_break_adds_no_header_and_a_subject_from_mail_is_unfolded():
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    evil = Attachment("a.pdf\r\nBcc: victim@else.org", "application/pdf", b"%PDF")
    svc.outbound.reply(outcome.ticket, "agent", "Hello", attachments=(evil,))
    [filed] = svc.sender.sent
    [part] = mime(filed).iter_attachments()
    assert (mime(filed)["Bcc"], part.get_filename()) == (None, "a.pdfBcc: victim@else.org")
    svc.sender.sent.clear()
    raw = b"From: alice@customer.org\r\nTo: support@example.com\r\nMessage-ID: <inj@customer.org>\r\n"
    raw += b"Subject: =?utf-8?q?Hi=0D=0ABcc=3A_victim=40else=2Eorg?=\r\n\r\nHello\r\n"

    injected = deliver_via(svc, raw)
    assert svc.outbound.acknowledge(injected.ticket, svc.ingest.ports.read_mail(raw)).state == "sent"
    svc.outbound.reply(injected.ticket, "agent", "Hello")

    assert [s.destinations for s in svc.sender.sent] == [("alice@customer.org",)] * 2
    assert [mime(s)["Bcc"] for s in svc.sender.sent] == [None, None]
    assert [mime(s)["Subject"] for s in svc.sender.sent] == [
        f"We received your request [{injected.ticket}]",
        f"Re: Hi Bcc: victim@else.org [{injected.ticket}]",
    ]


def test_attachments_over_the_send_limit_travel_as_links():
    svc = mail_out(acknowledge_new_tickets=False, max_send_bytes=60_000)
    outcome = deliver_via(svc, make_mail())
    big = Attachment("big report.bin", "application/octet-stream", bytes(range(256)) * 400)

    message = svc.outbound.reply(outcome.ticket, "agent", "The report is attached.", attachments=(big,))

    reply = mime(svc.sender.sent[0])
    [stored] = message.attachments
    assert list(reply.iter_attachments()) == [] and len(svc.sender.sent[0].raw) < 60_000
    assert f"https://mail.example.com/{stored.key}" in reply.get_body(("plain",)).get_content()
    assert svc.desk.store.get_raw(svc.settings.mail_bucket, stored.key) == big.payload


def test_a_send_ses_did_not_take_releases_the_acknowledgement_for_the_retry():
    svc = mail_out(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    mail = svc.ingest.ports.read_mail(make_mail())
    svc.sender.failures.append(ConnectionError("SES unreachable"))

    with pytest.raises(ConnectionError):
        svc.outbound.acknowledge(outcome.ticket, mail)

    assert svc.outbound.acknowledge(outcome.ticket, mail).state == "sent"
    assert [m.kind for m in svc.desk.tickets.messages(outcome.ticket)] == ["customer", "acknowledgement"]


def test_the_reputation_guard_pauses_automatic_mail_and_reopens_on_clean_traffic():
    """GIVEN 250 sends with 12 bounces (4.8 %) THEN acknowledgements stop and staff replies warn;
    GIVEN a day of 300 clean sends THEN acknowledgements flow again."""
    svc = mail_out()
    for n in range(5):
        svc.feedback.record(
            send_note(f"m{n}", *[f"u{n}-{k}@customer.org" for k in range(50)], at=svc.desk.clock)
        )
    svc.feedback.record(bounce_note(*[f"u0-{k}@customer.org" for k in range(12)], at=svc.desk.clock))
    assert svc.suppression.reputation()["guard"]["state"] == "paused"
    paused = deliver_via(svc, make_mail(sender="dora@else.org"))
    assert svc.sender.sent == [] and len(svc.desk.tickets.messages(paused.ticket)) == 1
    reply = svc.outbound.reply(paused.ticket, "agent", "We are on it")
    assert (
        "automatic mail is paused" in reply.reason and "4.80%" in reply.reason and len(svc.sender.sent) == 1
    )

    svc.desk.clock += timedelta(days=1)
    for n in range(6):
        svc.feedback.record(
            send_note(f"d{n}", *[f"v{n}-{k}@customer.org" for k in range(50)], at=svc.desk.clock)
        )
    reopened = deliver_via(svc, make_mail(sender="erin@else.org"))
    assert [m.kind for m in svc.desk.tickets.messages(reopened.ticket)] == ["customer", "acknowledgement"]


def test_a_warning_rate_lets_acknowledgements_through():
    svc = mail_out()
    for n in range(4):
        svc.feedback.record(
            send_note(f"w{n}", *[f"w{n}-{k}@customer.org" for k in range(50)], at=svc.desk.clock)
        )
    svc.feedback.record(bounce_note(*[f"w0-{k}@customer.org" for k in range(6)], at=svc.desk.clock))

    report = svc.suppression.reputation()

    assert report["guard"]["state"] == "warning" and report["days"][0]["bounce_rate"] == 0.03
    deliver_via(svc, make_mail(sender="fay@else.org"))
    assert len(svc.sender.sent) == 1
    assert json.dumps(report)  # the CLI prints it as JSON


@pytest.mark.parametrize("rates", [(0.06, 0.0), (0.0, 0.001)], ids=["bounces", "complaints"])
def test_the_account_rates_from_cloudwatch_pause_automatic_mail_on_their_own(rates):
    """Either of SES's account rates (bounces 4%, complaints 0.08%: Settings) pauses alone."""
    svc = mail_out()
    svc.account_rates = rates

    deliver_via(svc, make_mail(sender="gus@else.org"))

    assert svc.sender.sent == []
    svc.account_rates = (0.001, 0.0)
    deliver_via(svc, make_mail(sender="hal@else.org"))
    assert svc.sender.recipients() == ["hal@else.org"]
