"""The local SES sending emulator against moto's server: outbox, events, simulator, sandbox."""

from __future__ import annotations

import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from inbound.local import ses_outbox
from inbound.local.embedded import moto_server, stack_at
from inbound.local.ses_outbox import read_outbox
from inbound.local.ses_sending import SesEmulator
from tests.support.ses_emulation import emulated_ses


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    with moto_server() as endpoint:
        stack = stack_at(endpoint, stage="sesemu")
        with emulated_ses(endpoint, stack, tmp_path_factory.mktemp("data")) as emulator:
            yield stack, emulator


def _send(stack, to):
    raw = f"From: support@example.com\r\nTo: {to}\r\nSubject: Hello\r\nMessage-ID: <m-{time.time_ns()}@example.com>\r\n\r\nHi\r\n"
    # No client-side retries: botocore would retry a Throttling error until it passes.
    ses = stack.session.client(
        "ses", endpoint_url=stack.settings.endpoint_url, config=Config(retries={"total_max_attempts": 1})
    )
    return ses.send_raw_email(
        Source="support@example.com",
        Destinations=[to],
        RawMessage={"Data": raw.encode()},
        ConfigurationSetName=stack.outputs["INBOUND_CONFIGURATION_SET"],
    )["MessageId"]


def _events(stack, message_id, want, timeout=10.0):
    sqs = stack.client("sqs")
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(found) < want:
        for m in sqs.receive_message(
            QueueUrl=stack.outputs["INBOUND_FEEDBACK_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            body = json.loads(m["Body"])
            if body["mail"]["messageId"] == message_id:
                found.append(body)
            sqs.delete_message(
                QueueUrl=stack.outputs["INBOUND_FEEDBACK_QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"]
            )
    return found


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ("customer@elsewhere.test", ["Send", "Delivery"]),
        ("success@simulator.amazonses.com", ["Send", "Delivery"]),
        ("bounce+label@simulator.amazonses.com", ["Send", "Bounce"]),
        ("complaint@simulator.amazonses.com", ["Send", "Delivery", "Complaint"]),
        ("suppressionlist@simulator.amazonses.com", ["Send", "Bounce"]),
    ],
)
def test_each_send_lands_in_the_outbox_and_publishes_what_ses_would(emulated, recipient, expected):
    stack, emulator = emulated
    message_id = _send(stack, recipient)
    events = _events(stack, message_id, len(expected))
    assert [e["eventType"] for e in events] == expected
    assert all(e["mail"]["tags"]["ses:configuration-set"] == [emulator.configuration_set] for e in events)
    [entry] = [e for e in read_outbox(emulator.data_dir) if e["message_id"] == message_id]
    assert entry["to"] == [recipient] and (
        emulator.data_dir / "outbox" / entry["file"]
    ).read_text().startswith("From:")
    if recipient.startswith("bounce"):
        bounce = events[1]["bounce"]
        assert (bounce["bounceType"], bounce["bounceSubType"]) == ("Permanent", "General")
        assert bounce["bouncedRecipients"][0]["emailAddress"] == recipient
    if recipient.startswith("suppressionlist"):
        assert events[1]["bounce"]["bounceSubType"] == "OnAccountSuppressionList"


def test_a_hard_bounce_puts_the_address_on_the_account_suppression_list(emulated):
    stack, emulator = emulated
    _events(stack, _send(stack, "bounce@simulator.amazonses.com"), 2)
    assert "bounce@simulator.amazonses.com" in emulator.account_suppressed()
    again = _events(stack, _send(stack, "bounce@simulator.amazonses.com"), 2)
    assert again[1]["bounce"]["bounceSubType"] == "OnAccountSuppressionList"


def test_the_sandbox_refuses_unverified_recipients_and_fast_sends(emulated):
    stack, emulator = emulated
    emulator.sandbox = True
    try:
        with pytest.raises(ClientError) as refused:
            _send(stack, "customer@elsewhere.test")
        assert refused.value.response["Error"]["Code"] == "MessageRejected"
        assert "not verified" in refused.value.response["Error"]["Message"]
        _send(stack, "success@simulator.amazonses.com")
        with pytest.raises(ClientError) as throttled:
            _send(stack, "success@simulator.amazonses.com")
        assert throttled.value.response["Error"]["Code"] == "Throttling"
    finally:
        emulator.sandbox = False


def test_sesv2_answers_from_the_emulated_account_list_and_sandbox(emulated, caplog):
    """GIVEN the emulator (its account-level list holds a hard bounce and a complaint)
    WHEN the outbound guard's adapter asks sesv2 GetSuppressedDestination and GetAccount
    THEN it gets SES's answers, not moto's 404, and logs no 'not available' warning."""
    from chalicelib.adapters.ses_sender import SesSender

    stack, emulator = emulated
    _events(stack, _send(stack, "bounce@simulator.amazonses.com"), 2)
    # A label of its own: the parametrised test above expects plain complaint@ not yet suppressed
    # (SES's simulator takes any +label, and the account list holds the whole address).
    _events(stack, _send(stack, "complaint+account@simulator.amazonses.com"), 3)
    sender = SesSender(stack.client("ses"), emulator.configuration_set, v2_client=stack.client("sesv2"))
    with caplog.at_level("WARNING", logger="inbound.ses"):
        assert sender.account_suppressed("Bounce@simulator.amazonses.com") == (True, "BOUNCE")
        assert sender.account_suppressed("complaint+account@simulator.amazonses.com") == (True, "COMPLAINT")
        assert sender.account_suppressed("customer@elsewhere.test") == (False, "")
        assert sender.production_access() is True
    assert [r.getMessage() for r in caplog.records if r.name == "inbound.ses"] == []
    emulator.sandbox = True
    try:
        assert stack.client("sesv2").get_account()["ProductionAccessEnabled"] is False
    finally:
        emulator.sandbox = False


def test_inbound_outbox_prints_subjects_decoded_not_as_encoded_words(emulated, capsys):
    """GIVEN a reply whose Subject travels as RFC 2047 encoded words, folded THEN `inbound outbox`
    shows the words a person wrote, in the table and in --json."""
    from email.message import EmailMessage
    from email.policy import SMTP

    from inbound.cli import main

    stack, emulator = emulated
    message = EmailMessage(policy=SMTP)
    subject = "Re: Grüße aus München, 東京の件 — Ihre Bestellung ist unterwegs [T-1042]"
    message["From"], message["To"], message["Subject"] = "support@example.com", "anna@example.de", subject
    message["Message-ID"] = f"<m-{time.time_ns()}@example.com>"
    message.set_content("Hallo")
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw and subject.encode() not in raw
    ses = stack.session.client("ses", endpoint_url=stack.settings.endpoint_url)
    ses.send_raw_email(
        Source="support@example.com", Destinations=["anna@example.de"], RawMessage={"Data": raw}
    )
    assert main(["outbox", "--data-dir", str(emulator.data_dir)]) == 0
    out = capsys.readouterr().out
    assert repr(subject) in out and "=?utf-8?" not in out
    assert main(["outbox", "--json", "--data-dir", str(emulator.data_dir)]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert subject in [e["subject"] for e in entries]


def _send_html(stack, configuration_set, html):
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "support@example.com", "reader@elsewhere.test", "News"
    mail["Message-ID"] = f"<m-{time.time_ns()}@example.com>"
    mail["X-Inbound-Announcement"] = "A-1"
    mail.set_content("News")
    mail.add_alternative(html, subtype="html")
    ses = stack.session.client("ses", endpoint_url=stack.settings.endpoint_url)
    return ses.send_raw_email(
        Source="support@example.com",
        Destinations=["reader@elsewhere.test"],
        RawMessage={"Data": mail.as_bytes()},
        ConfigurationSetName=configuration_set,
    )["MessageId"]


def _get(url):
    """One GET, redirects not followed (a click's Location is the customer's link, elsewhere)."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    return response.status, response.getheader("Location"), response.getheader("Content-Type")


def test_the_announcements_set_tracks_opens_and_clicks_and_the_tracker_publishes_them(emulated):
    """GIVEN provisioned sets (only the announcements' takes OPEN and CLICK) WHEN an HTML mail
    goes out with each THEN only the announcement's links run through the tracker (not the
    `ses:no-track` one) with an open image; fetching the image and following a link publish
    Open and Click with the mail's headers, and answer a GIF and a redirect to the link."""
    import re

    stack, emulator = emulated
    html = (
        '<p><a href="https://status.example.com/now?a=1&amp;b=2">status</a> '
        '<a ses:no-track href="https://example.com/u/token">Unsubscribe</a></p>'
    )
    plain = _send_html(stack, stack.outputs["INBOUND_CONFIGURATION_SET"], html)
    tracked = _send_html(stack, stack.outputs["INBOUND_ANNOUNCEMENT_CONFIGURATION_SET"], html)
    by_id = {e["message_id"]: e for e in read_outbox(emulator.data_dir)}
    untouched = (emulator.data_dir / "outbox" / by_id[plain]["file"]).read_text()
    rewritten = (emulator.data_dir / "outbox" / by_id[tracked]["file"]).read_text()
    from email import message_from_string, policy

    body = message_from_string(rewritten, policy=policy.default).get_body(("html",)).get_content()
    assert "/track/" not in untouched and "https://status.example.com/now" in untouched
    [click] = re.findall(r'href="([^"]*/track/click/[^"]*)"', body)
    [pixel] = re.findall(r'src="([^"]*/track/open/[^"]*)"', body)
    assert 'ses:no-track href="https://example.com/u/token"' in body
    _events(stack, tracked, 10, timeout=1)  # whatever the send itself published

    opened = _get(pixel.replace("&amp;", "&"))
    clicked = _get(click.replace("&amp;", "&"))

    assert opened[0] == 200 and opened[2] == "image/gif"
    assert clicked[:2] == (302, "https://status.example.com/now?a=1&b=2")
    events = {e["eventType"]: e for e in _events(stack, tracked, 2)}
    assert set(events) == {"Open", "Click"}
    assert events["Click"]["click"]["link"] == "https://status.example.com/now?a=1&b=2"
    headers = {h["name"]: h["value"] for h in events["Open"]["mail"]["headers"]}
    assert headers["X-Inbound-Announcement"] == "A-1"
    assert events["Open"]["mail"]["destination"] == ["reader@elsewhere.test"]


def test_a_send_the_index_does_not_list_is_not_in_the_outbox(tmp_path):
    """A kill between writing a mail's file and its index line (inbound up's restart then
    releases the snapshot's sends again): only the index says a send left, so it leaves once."""
    outbox = tmp_path / "outbox"
    ses_outbox.write(outbox, "m-listed", "a@example.com", ("b@example.org",), "Subject: x\n\nx\n", [])
    (outbox / "20261207T000000-m-cut.eml").write_text("Subject: y\n\ny\n")
    with (outbox / "index.jsonl").open("a") as index:
        index.write('{"message_id": "m-torn", "fi')  # the kill cut the line short

    assert ses_outbox.lists(outbox, "m-listed") is True
    assert ses_outbox.lists(outbox, "m-cut") is False
    assert ses_outbox.lists(outbox, "m-torn") is False


def test_a_send_left_again_after_a_kill_is_one_file_and_one_line_of_the_outbox(tmp_path):
    """GIVEN the kill left m-cut's file unlisted and m-torn's index line cut short, WHEN the
    restart sends both again, THEN the folder holds one file per send (the crash test counts
    files: a second file was 'a ticket number acknowledged twice'), the index lists each once,
    and `inbound outbox` reads past the cut line."""
    outbox = tmp_path / "outbox"
    (outbox).mkdir()
    (outbox / "20261207T000000-m-cut.eml").write_text("Subject: y\n\ny\n")
    with (outbox / "index.jsonl").open("a") as index:
        index.write('{"message_id": "m-torn", "fi')

    for message_id in ("m-cut", "m-torn"):
        ses_outbox.write(outbox, message_id, "a@example.com", ("b@example.org",), "Subject: y\n\ny\n", [])

    assert sorted(p.name for p in outbox.glob("*.eml"))[0] == "20261207T000000-m-cut.eml"
    assert len(list(outbox.glob("*-m-cut.eml"))) == 1 and len(list(outbox.glob("*-m-torn.eml"))) == 1
    listed = [entry["message_id"] for entry in ses_outbox.read_outbox(tmp_path)]
    assert listed == ["m-cut", "m-torn"]


def test_a_send_rate_file_cut_short_by_a_kill_does_not_refuse_sends(tmp_path):
    """GIVEN ses-send-rate.json left empty by a kill -9 mid-write, WHEN the next run sends,
    THEN the send is measured afresh (every send raised JSONDecodeError: no mail left)."""
    (tmp_path / "ses-send-rate.json").write_text("")
    emulator = SesEmulator(
        endpoint_url="http://127.0.0.1:9",
        data_dir=tmp_path,
        account="123456789012",
        region="us-east-1",
        configuration_set="set",
        feedback_topic_arn="arn:aws:sns:us-east-1:123456789012:feedback",
    )

    emulator.measure_rate("set")

    assert json.loads((tmp_path / "ses-send-rate.json").read_text()) == {"set": 1}
