"""The outbound service against moto: what needs SES and S3 themselves (the configuration set
and the delegate's ARNs on the wire, SigV4 links, MessageRejected, throttling and the sandbox
look-ups through botocore). The guard's decisions on fakes: tests/services/test_outbound.py."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.domain.mail import Attachment
from chalicelib.domain.reply_tokens import reply_address
from chalicelib.errors import SendRefused
from chalicelib.wiring import build_services
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.ses_requests import send_raw_request

DELEGATE = "arn:aws:ses:us-east-1:999999999999:identity/example.com"


@pytest.fixture
def wire(stack):
    """Services on the stack with settings changed; every SendRawEmail request is captured."""

    def build(**changes):
        settings = replace(stack.settings, **{"acknowledge_new_tickets": True, **changes})
        svc = build_services(settings, boto3.session.Session(region_name="us-east-1"))
        sent: list[dict] = []
        svc.outbound.ports.sender.client.meta.events.register(
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

    again = svc.outbound.acknowledge(outcome.ticket, svc.ingest.ports.read_mail(make_mail()))
    assert again.state == "already" and len(sent) == 1 and len(stack.tickets.messages(outcome.ticket)) == 2


def test_each_mail_carries_its_mailbox_as_a_message_tag_for_the_cloudwatch_dimension(stack, wire):
    """GIVEN mail to support@ and billing@ WHEN acknowledged THEN each SendRawEmail carries the
    message tag `mailbox` (SES copies it into the events; the configuration set's CloudWatch
    destination takes it as a dimension)."""
    svc, sent = wire()
    deliver_via(svc, make_mail(message_id="<s@customer.org>"))
    deliver_via(svc, make_mail(to="billing@example.com"), recipients=("billing@example.com",))
    tags = [(r["Source"], r["Tags.member.1.Name"], r["Tags.member.1.Value"]) for r in sent]
    assert tags == [
        ("support@example.com", "mailbox", "support"),
        ("billing@example.com", "mailbox", "billing"),
    ]


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


def test_attachments_over_the_send_limit_travel_as_links_to_the_api(stack, wire):
    svc, sent = wire(acknowledge_new_tickets=False, max_send_bytes=60_000)
    outcome = deliver_via(svc, make_mail())
    big = Attachment("big report.bin", "application/octet-stream", bytes(range(256)) * 400)
    message = svc.outbound.reply(outcome.ticket, "agent", "The report is attached.", attachments=(big,))
    reply = mime(sent[0])
    assert list(reply.iter_attachments()) == [] and len(sent[0]["Raw"]) < 60_000
    [stored] = message.attachments
    text = reply.get_body(("plain",)).get_content()
    # A day's link to the stage's API (a presigned URL dies with the role's temporary
    # credentials), which redirects to a fresh five-minute presigned GET of this one file.
    [link] = [word for word in text.split() if "/files/" in word]
    redirect = svc.file_links.redirect(link.rpartition("/files/")[2])
    assert redirect is not None and "X-Amz-Expires=300" in redirect
    assert stored.key.replace(" ", "%20") in redirect
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
    mail = svc.ingest.ports.read_mail(make_mail())

    def throttle(**_):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendRawEmail")

    client = svc.outbound.ports.sender.client
    client.meta.events.register_first("before-call.ses.SendRawEmail", throttle)
    with pytest.raises(ClientError):
        svc.outbound.acknowledge(outcome.ticket, mail)
    client.meta.events.unregister("before-call.ses.SendRawEmail", throttle)
    assert svc.outbound.acknowledge(outcome.ticket, mail).state == "sent"
    assert [m.kind for m in stack.tickets.messages(outcome.ticket)] == ["customer", "acknowledgement"]
