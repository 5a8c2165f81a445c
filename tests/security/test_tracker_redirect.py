"""Attack: the local stack's open/click tracker (inbound/local/ses_tracking.py) as an open
redirect and a forger of Click events. Its click URL carries the target in `u`; anyone who
has seen one tracked link (every recipient of an announcement has) swaps `u` for their own
site, or takes any message id, and gets a redirect from the stack's address to it, and a
Click on that announcement's report for a link it never held.

Answer: SES's click links are opaque, so a recipient cannot choose where they lead; the
emulation follows a link only when it is one the mail as sent (the outbox copy) carries
through the tracker: anything else is refused, redirects nowhere and publishes nothing.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from email import message_from_string, policy
from email.message import EmailMessage

import pytest

from inbound.local.embedded import moto_server, stack_at
from inbound.local.ses_outbox import read_outbox
from tests.support.ses_emulation import emulated_ses

EVIL = "https://evil.test/login"


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    with moto_server() as endpoint:
        stack = stack_at(endpoint, stage="tracker")
        with emulated_ses(endpoint, stack, tmp_path_factory.mktemp("data")) as emulator:
            yield stack, emulator


def _announce(stack, emulator) -> tuple[str, str]:
    """An announcement sent through the tracking set: its message id and its one click URL."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "support@example.com", "reader@elsewhere.test", "News"
    mail["Message-ID"] = f"<m-{time.time_ns()}@example.com>"
    mail.set_content("News")
    mail.add_alternative('<p><a href="https://status.example.com/now">status</a></p>', subtype="html")
    ses = stack.session.client("ses", endpoint_url=stack.settings.endpoint_url)
    sent = ses.send_raw_email(
        Source="support@example.com",
        Destinations=["reader@elsewhere.test"],
        RawMessage={"Data": mail.as_bytes()},
        ConfigurationSetName=stack.outputs["INBOUND_ANNOUNCEMENT_CONFIGURATION_SET"],
    )["MessageId"]
    entry = next(e for e in read_outbox(emulator.data_dir) if e["message_id"] == sent)
    raw = (emulator.data_dir / "outbox" / entry["file"]).read_text()
    body = message_from_string(raw, policy=policy.default).get_body(("html",)).get_content()
    [click] = re.findall(r'href="([^"]*/track/click/[^"]*)"', body)
    return sent, click.replace("&amp;", "&")


def _with_target(url: str, target: str, message_id: str | None = None) -> str:
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query), u=target)
    path = parts.path if message_id is None else parts.path.rpartition("/")[0] + "/" + message_id
    return urllib.parse.urlunsplit(parts._replace(path=path, query=urllib.parse.urlencode(query)))


def _get(url: str) -> tuple[int, str | None]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    return response.status, response.getheader("Location")


def _clicks(stack, message_id: str) -> list[str]:
    sqs, url = stack.client("sqs"), stack.outputs["INBOUND_FEEDBACK_QUEUE_URL"]
    found = []
    for _ in range(3):
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(m["Body"])
            if body["mail"]["messageId"] == message_id and body["eventType"] == "Click":
                found.append(body["click"]["link"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


def test_a_tracked_link_with_another_target_redirects_nowhere_and_records_no_click(emulated):
    stack, emulator = emulated
    message_id, click = _announce(stack, emulator)

    swapped = _get(_with_target(click, EVIL))
    any_message = _get(_with_target(click, EVIL, message_id="0000-not-a-message"))

    assert swapped[0] == 404 and swapped[1] is None
    assert any_message[0] == 404 and any_message[1] is None
    assert _clicks(stack, message_id) == [], "a click was recorded for a link the mail never held"
    assert _get(click) == (302, "https://status.example.com/now"), "the mail's own link still works"
