"""The outbound service against moto: acknowledgements, staff replies, and the guard's refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.domain.mail import Attachment
from chalicelib.domain.reply_tokens import reply_address
from chalicelib.errors import HeaderInjection, SendRefused, Suppressed
from chalicelib.wiring import build_services
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.ses_feedback import bounce_note, send_note
from tests.support.ses_requests import send_raw_request

DELEGATE = "arn:aws:ses:us-east-1:999999999999:identity/example.com"


@pytest.fixture
def wire(stack):
    """Services on the stack with settings changed; every SendRawEmail request is captured."""

    def build(**changes):
        settings = replace(stack.settings, **{"acknowledge_new_tickets": True, **changes})
        svc = build_services(settings, boto3.session.Session(region_name="us-east-1"))
        sent: list[dict] = []
        svc.outbound.parts.sender.client.meta.events.register(
            "before-call.ses.SendRawEmail", lambda params, **_: sent.append(send_raw_request(params["body"]))
        )
        return svc, sent

    return build


def mime(params: dict):
    return message_from_bytes(params["Raw"], policy=policy.default)


def test_a_new_ticket_is_acknowledged_once_threaded_and_stored_on_the_ticket(stack, wire):
    """GIVEN a new mail WHEN ingested (and redelivered) THEN one acknowledgement leaves and is on the ticket."""
    svc, sent = wire()
    outcome = deliver_via(svc, make_mail(message_id="<first@customer.org>"))
    [request] = sent
    assert request["Source"] == "support@example.com" and request["Destinations"] == ["alice@customer.org"]
    assert request["ConfigurationSetName"] == stack.settings.configuration_set == "inbound-test"
    ack = mime(request)
    assert ack["Subject"] == f"We received your request [{outcome.ticket}]"
    assert ack["Reply-To"] == reply_address(
        stack.secret(),
        "support@example.com",
        outcome.ticket,
        stack.tickets.get_ticket(outcome.ticket).token_nonce,
    )
    assert ack["In-Reply-To"] == "<first@customer.org>" and ack["References"] == "<first@customer.org>"
    assert ack["Auto-Submitted"] == "auto-replied" and ack["X-Auto-Response-Suppress"] == "All"
    assert ack["Message-ID"].endswith("@example.com>")
    customer, stored = stack.tickets.messages(outcome.ticket)
    assert (stored.direction, stored.kind, stored.message_id) == (
        "outbound",
        "acknowledgement",
        ack["Message-ID"],
    )
    assert stack.tickets.get_ticket(outcome.ticket).message_count == 2

    again = svc.outbound.acknowledge(outcome.ticket, svc.intake.parts.read_mail(make_mail()))
    assert again.state == "already" and len(sent) == 1 and len(stack.tickets.messages(outcome.ticket)) == 2


def test_a_customer_reply_to_our_mail_threads_by_its_message_id(stack, wire):
    svc, sent = wire()
    first = deliver_via(svc, make_mail())
    ack_id = mime(sent[0])["Message-ID"]
    reply = deliver_via(svc, make_mail(subject="Re: thanks", in_reply_to=ack_id, references=ack_id))
    assert (reply.outcome, reply.ticket, reply.thread_signal) == ("threaded", first.ticket, "references")
    stored = next(m for m in stack.tickets.messages(first.ticket) if m.kind == "acknowledgement")
    ses_alias = stack.client("dynamodb").get_item(
        TableName=stack.settings.tickets_table,
        Key={"pk": {"S": f"TICKET#{first.ticket}"}, "sk": {"S": f"MSG#{stored.received_at}#{stored.key}"}},
    )["Item"]["ses_message_id"]["S"]
    alias = f"<{ses_alias}@email.amazonses.com>"
    assert stack.tickets.tickets_by_message_ids("support", [alias]) == {alias: first.ticket}


@pytest.mark.parametrize(
    "mail, reason",
    [
        (make_mail(sender="Shop <noreply@shop.example>"), "automatic_recipient"),
        (make_mail(headers={"X-Auto-Response-Suppress": "All"}), "automatic_trigger"),
        (make_mail(sender="Support <support@example.com>"), "automatic_recipient"),
    ],
    ids=["no-reply sender", "asks for no auto-reply", "our own address"],
)
def test_acknowledgements_are_refused_where_they_would_loop(stack, wire, mail, reason):
    svc, sent = wire(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, mail)
    result = svc.outbound.acknowledge(outcome.ticket, svc.intake.parts.read_mail(mail))
    assert (result.state, result.reason) == ("refused", reason) and sent == []
    assert len(stack.tickets.messages(outcome.ticket)) == 1
    assert svc.outbound.acknowledge(outcome.ticket, svc.intake.parts.read_mail(mail)).state == "already"


def test_a_sender_gets_a_few_acknowledgements_a_day_not_one_per_mail(stack, wire):
    svc, sent = wire()
    tickets = [deliver_via(svc, make_mail(subject=f"Question {n}")).ticket for n in range(4)]
    assert len(sent) == 3 and len(set(tickets)) == 4
    assert len(stack.tickets.messages(tickets[-1])) == 1


def test_the_domain_cap_holds_back_unauthenticated_senders_only(stack, wire):
    """GIVEN a cap of 2 a day per domain WHEN three authenticated and three spoofed senders of
    one domain write THEN all three authenticated and two spoofed ones are acknowledged."""
    svc, sent = wire(auto_replies_per_domain_per_day=2)
    for n in range(3):
        deliver_via(svc, make_mail(sender=f"real{n}@customer.org"))
        deliver_via(svc, make_mail(sender=f"spoof{n}@customer.org"), dmarc="FAIL")
    reached = [r["Destinations"][0] for r in sent]
    assert sorted(reached) == [f"real{n}@customer.org" for n in range(3)] + [
        "spoof0@customer.org",
        "spoof1@customer.org",
    ]
    held = svc.outbound.parts.acknowledgements.claim_ack("T-1006", "", 0)
    assert (held.state, held.reason) == ("refused", "rate_limited")


def test_a_mailbox_may_acknowledge_authenticated_senders_only(stack, wire):
    svc, sent = wire(ack_authenticated_only=frozenset({"support"}))
    spoofed = deliver_via(svc, make_mail(sender="spoof@customer.org"), dmarc="FAIL")
    deliver_via(
        svc,
        make_mail(sender="spoof@customer.org", to="billing@example.com"),
        dmarc="FAIL",
        recipients=("billing@example.com",),
    )
    deliver_via(svc, make_mail(sender="real@customer.org"))
    assert [(r["Source"], r["Destinations"]) for r in sent] == [
        ("billing@example.com", ["spoof@customer.org"]),
        ("support@example.com", ["real@customer.org"]),
    ]
    result = svc.outbound.acknowledge(spoofed.ticket, svc.intake.parts.read_mail(make_mail()))
    assert (result.state, result.reason, result.detail) == ("already", "refused", "unauthenticated")
    assert stack.tickets.get_ticket(spoofed.ticket).status == "new", "the mail is still a ticket"


def test_a_staff_reply_goes_to_the_requester_with_cc_and_threads(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail(message_id="<q1@customer.org>", cc="Bob <bob@customer.org>"))
    message = svc.outbound.reply(
        outcome.ticket, "agent-7", "Have you tried water?", html="<p>Have you tried <b>water</b>?</p>"
    )
    [request] = sent
    reply = mime(request)
    assert request["Destinations"] == ["alice@customer.org", "bob@customer.org"]
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
    assert stack.tickets.messages(outcome.ticket)[-1] == message
    assert stack.tickets.tickets_by_message_ids("support", [message.message_id]) == {
        message.message_id: outcome.ticket
    }
    assert stack.tickets.get_ticket(outcome.ticket).message_count == 2


def test_suppressed_requester_refuses_the_reply_and_a_suppressed_cc_is_left_out(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail(cc="bob@customer.org"))
    svc.feedback.record(bounce_note("bob@customer.org"))
    message = svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert (
        sent[0]["Destinations"] == ["alice@customer.org"]
        and "not sent to bob@customer.org: suppressed" in message.reason
    )
    svc.feedback.record(bounce_note("alice@customer.org", feedback_id="fb-2"))
    with pytest.raises(Suppressed) as refused:
        svc.outbound.reply(outcome.ticket, "agent", "Hello again")
    assert (
        refused.value.reason == "suppressed" and "alice@customer.org" in str(refused.value) and len(sent) == 1
    )


def test_in_the_sandbox_only_verified_recipients_get_mail(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False, ses_sandbox="true")
    outcome = deliver_via(svc, make_mail())
    with pytest.raises(SendRefused) as refused:
        svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert refused.value.reason == "sandbox" and sent == []
    stack.client("ses").verify_email_identity(EmailAddress="alice@customer.org")
    svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert len(sent) == 1
    auto, _ = wire(acknowledge_new_tickets=False, ses_sandbox="auto")  # moto has no GetAccount: unknown, skip
    auto.outbound.reply(deliver_via(auto, make_mail(sender="carol@else.org")).ticket, "agent", "Hi")


def test_a_delegate_sender_passes_the_identity_arn_three_times(wire):
    svc, sent = wire(acknowledge_new_tickets=False, sending_identity_arn=DELEGATE)
    svc.outbound.reply(deliver_via(svc, make_mail()).ticket, "agent", "Hello")
    [request] = sent
    assert (request["SourceArn"], request["FromArn"], request["ReturnPathArn"]) == (
        DELEGATE,
        DELEGATE,
        DELEGATE,
    )


def test_header_injection_from_staff_sends_nothing_and_a_subject_from_mail_is_unfolded(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    evil = Attachment("a.pdf\r\nBcc: victim@else.org", "application/pdf", b"%PDF")
    with pytest.raises(HeaderInjection):
        svc.outbound.reply(outcome.ticket, "agent", "Hello", attachments=(evil,))
    raw = b"From: alice@customer.org\r\nTo: support@example.com\r\nMessage-ID: <inj@customer.org>\r\n"
    raw += b"Subject: =?utf-8?q?Hi=0D=0ABcc=3A_victim=40else=2Eorg?=\r\n\r\nHello\r\n"
    assert sent == []
    # A customer's subject that decodes to a line break: the acknowledgement quotes no
    # subject at all, a staff reply answers with the break as a space: one Subject line,
    # no Bcc, the customer the only recipient.
    injected = deliver_via(svc, raw)
    result = svc.outbound.acknowledge(injected.ticket, svc.intake.parts.read_mail(raw))
    assert result.state == "sent"
    svc.outbound.reply(injected.ticket, "agent", "Hello")
    assert len(sent) == 2
    for request in sent:
        assert request["Destinations"] == ["alice@customer.org"]
        assert mime(request)["Bcc"] is None
    subjects = [mime(request)["Subject"] for request in sent]
    assert subjects == [
        f"We received your request [{injected.ticket}]",
        f"Re: Hi Bcc: victim@else.org [{injected.ticket}]",
    ]


def test_attachments_over_the_send_limit_travel_as_short_lived_links(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False, max_send_bytes=60_000)
    outcome = deliver_via(svc, make_mail())
    big = Attachment("big report.bin", "application/octet-stream", bytes(range(256)) * 400)
    message = svc.outbound.reply(outcome.ticket, "agent", "The report is attached.", attachments=(big,))
    reply = mime(sent[0])
    assert list(reply.iter_attachments()) == [] and len(sent[0]["Raw"]) < 60_000
    [stored] = message.attachments
    text = reply.get_body(("plain",)).get_content()
    assert "X-Amz-Signature=" in text and "X-Amz-Expires=86400" in text, "a SigV4 link valid for a day"
    assert stored.key.replace(" ", "%20") in text
    body = stack.client("s3").get_object(Bucket=stack.settings.mail_bucket, Key=stored.key)["Body"].read()
    assert body == big.payload
    small = svc.outbound.reply(
        outcome.ticket, "agent", "Tiny", attachments=(Attachment("a.txt", "text/plain", b"hi"),)
    )
    assert [p.get_filename() for p in mime(sent[1]).iter_attachments()] == ["a.txt"] and small.attachments


def test_ses_rejecting_the_message_is_a_refusal_with_its_reason(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    unverified = replace(svc.settings, mailboxes={"help@unverified.example": "support"})
    svc.outbound.settings = unverified
    with pytest.raises(SendRefused) as refused:
        svc.outbound.reply(outcome.ticket, "agent", "Hello")
    assert refused.value.reason == "ses_rejected" and "MessageRejected" in str(refused.value)


def test_a_throttled_acknowledgement_is_retried_by_the_next_delivery(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False)
    outcome = deliver_via(svc, make_mail())
    mail = svc.intake.parts.read_mail(make_mail())

    def throttle(**_):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendRawEmail")

    client = svc.outbound.parts.sender.client
    client.meta.events.register_first("before-call.ses.SendRawEmail", throttle)
    with pytest.raises(ClientError):
        svc.outbound.acknowledge(outcome.ticket, mail)
    client.meta.events.unregister("before-call.ses.SendRawEmail", throttle)
    assert svc.outbound.acknowledge(outcome.ticket, mail).state == "sent"
    assert [m.kind for m in stack.tickets.messages(outcome.ticket)] == ["customer", "acknowledgement"]


def test_the_reputation_guard_pauses_automatic_mail_and_reopens_on_clean_traffic(stack, wire):
    """GIVEN 250 sends with 12 bounces (4.8 %) THEN acknowledgements stop and staff replies warn;
    GIVEN a day of 300 clean sends THEN acknowledgements flow again."""
    svc, sent = wire()
    for n in range(5):
        svc.feedback.record(send_note(f"m{n}", *[f"u{n}-{k}@customer.org" for k in range(50)]))
    svc.feedback.record(bounce_note(*[f"u0-{k}@customer.org" for k in range(12)]))
    assert svc.suppression.reputation()["guard"]["state"] == "paused"
    paused = deliver_via(svc, make_mail(sender="dora@else.org"))
    assert sent == [] and len(stack.tickets.messages(paused.ticket)) == 1
    reply = svc.outbound.reply(paused.ticket, "agent", "We are on it")
    assert "automatic mail is paused" in reply.reason and "4.80%" in reply.reason and len(sent) == 1

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    svc.outbound.parts = replace(svc.outbound.parts, clock=lambda: tomorrow)
    for n in range(6):
        svc.feedback.record(send_note(f"d{n}", *[f"v{n}-{k}@customer.org" for k in range(50)], at=tomorrow))
    reopened = deliver_via(svc, make_mail(sender="erin@else.org"))
    assert [m.kind for m in stack.tickets.messages(reopened.ticket)] == ["customer", "acknowledgement"]


def test_a_warning_rate_lets_acknowledgements_through(stack, wire):
    svc, sent = wire()
    for n in range(4):
        svc.feedback.record(send_note(f"w{n}", *[f"w{n}-{k}@customer.org" for k in range(50)]))
    svc.feedback.record(bounce_note(*[f"w0-{k}@customer.org" for k in range(6)]))
    report = svc.suppression.reputation()
    assert report["guard"]["state"] == "warning" and report["days"][0]["bounce_rate"] == 0.03
    deliver_via(svc, make_mail(sender="fay@else.org"))
    assert len(sent) == 1
    assert json.dumps(report)  # the CLI prints it as JSON
