"""Receipt verdicts and notification decoding."""

import base64
import json

import pytest

from chalicelib.domain.mail import ParsedMail
from chalicelib.domain.verdicts import from_headers
from chalicelib.errors import BadNotification
from chalicelib.services.notifications import decode

NOTE = {
    "notificationType": "Received",
    "receipt": {
        "timestamp": "2026-11-27T10:00:00.000Z",
        "recipients": ["support@example.com"],
        "spamVerdict": {"status": "PASS"},
        "virusVerdict": {"status": "PASS"},
        "spfVerdict": {"status": "PASS"},
        "dkimVerdict": {"status": "GRAY"},
        "dmarcVerdict": {"status": "FAIL"},
        "action": {"type": "S3", "bucketName": "mail", "objectKey": "incoming/abc123"},
    },
    "mail": {
        "messageId": "abc123",
        "timestamp": "2026-11-27T10:00:00.000Z",
        "destination": ["x@example.com"],
    },
}


def test_raw_delivery_and_sns_envelope_decode_the_same():
    raw = decode(json.dumps(NOTE), "default")
    wrapped = decode(json.dumps({"Type": "Notification", "Message": json.dumps(NOTE)}), "default")
    assert raw == wrapped
    assert raw.received.key == "incoming/abc123" and raw.received.bucket == "mail"
    assert raw.received.recipients == ("support@example.com",)
    assert raw.received.verdicts.dmarc == "FAIL" and raw.received.verdicts.dkim == "GRAY"


def test_sns_action_with_inline_base64_content_carries_the_bytes():
    note = json.loads(json.dumps(NOTE))
    note["receipt"]["action"] = {"type": "SNS", "encoding": "BASE64", "topicArn": "arn"}
    note["content"] = base64.b64encode(b"From: a@b\r\n\r\nhi").decode()
    delivery = decode(json.dumps(note), "mail")
    assert delivery.inline_content == b"From: a@b\r\n\r\nhi" and delivery.received.key == "incoming/abc123"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"notificationType": "Bounce", "bounce": {}, "mail": {"messageId": "x"}}),
        json.dumps({"Type": "Notification", "Message": "{}"}),
    ],
)
def test_records_that_are_not_received_notifications_are_refused_clearly(body):
    with pytest.raises(BadNotification):
        decode(body, "mail")


def test_verdicts_from_headers_trust_only_the_topmost_ses_headers():
    mail = ParsedMail(
        headers=(
            ("x-ses-spam-verdict", "FAIL"),
            ("x-ses-virus-verdict", "PASS"),
            ("received-spf", "softfail (example.com: domain does not designate 1.2.3.4)"),
            (
                "authentication-results",
                "amazonses.com; spf=fail; dkim=pass header.i=@x; dmarc=fail header.from=x",
            ),
            ("x-ses-spam-verdict", "PASS"),
            ("authentication-results", "evil.test; dmarc=pass"),
        )
    )
    found = from_headers(mail)
    assert (found.spam, found.virus, found.spf, found.dkim, found.dmarc) == (
        "FAIL",
        "PASS",
        "FAIL",
        "PASS",
        "FAIL",
    )


def test_forged_authentication_results_from_another_server_are_ignored():
    mail = ParsedMail(headers=(("authentication-results", "evil.test; dmarc=pass; dkim=pass"),))
    assert from_headers(mail).dmarc == "NONE"


def test_an_ses_results_header_below_another_one_is_the_senders_not_ses():
    """SES prepends its Authentication-Results: one further down was in the mail already."""
    mail = ParsedMail(
        headers=(
            ("authentication-results", "mx.relay.test; dmarc=fail"),
            ("authentication-results", "amazonses.com; spf=pass; dkim=pass; dmarc=pass"),
        )
    )
    assert from_headers(mail).dmarc == "NONE"
