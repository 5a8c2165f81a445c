"""Shared by the desk tests: tickets made by real ingest, the events topic read back, and
moto's DynamoDB made to apply one request at a time, as DynamoDB applies each write."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail


def new_ticket(
    stack, subject: str = "Printer on fire", sender: str = "alice@customer.org", **mail: Any
) -> str:
    """A ticket made the way customers make them: a mail through the ingest pipeline."""
    outcome = deliver(stack, make_mail(subject=subject, sender=sender, **mail))
    assert outcome.outcome == "created", outcome
    return str(outcome.ticket)


class EventsInbox:
    """An SQS queue subscribed to the events topic, as an integration would subscribe."""

    def __init__(self, stack) -> None:
        self._sqs = stack.client("sqs")
        self.url = self._sqs.create_queue(QueueName="test-events-inbox")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns = stack.client("sns")
        self._subscription = sns.subscribe(
            TopicArn=stack.settings.events_topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )["SubscriptionArn"]
        self._sns = sns
        self._sqs.purge_queue(QueueUrl=self.url)

    def events(self) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = self._sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def close(self) -> None:
        self._sns.unsubscribe(SubscriptionArn=self._subscription)
        self._sqs.delete_queue(QueueUrl=self.url)


# What a staff member types to find Anna's ticket (with its id): her address and domain, words
# of the subject spelt without umlauts or in capitals, Japanese from the body, the file name.
WORDS_FOR_ANNAS_TICKET = (
    "anna.berg@kunde.de",
    "@kunde.de",
    "Rueckerstattung",
    "STRASSE",
    "請求書",
    "Rechnung März.pdf",
    "rechnung",
    "Anna Berg",
)


def annas_ticket_and_another(stack) -> str:
    """Anna's German and Japanese ticket with a PDF, and Carl's that shares nothing with it:
    the id of Anna's, which every one of WORDS_FOR_ANNAS_TICKET must find alone."""
    ticket = new_ticket(
        stack,
        "Rückerstattung für März",
        sender="Anna Berg <anna.berg@kunde.de>",
        body="請求書が届きません。Bitte prüfen Sie die Straße.",
        attachments=(("Rechnung März.pdf", "application/pdf", b"%PDF-1.4"),),
    )
    new_ticket(stack, "Something else", sender="carl@other.org", body="Nothing in common")
    return ticket


@contextlib.contextmanager
def events_inbox(stack) -> Iterator[EventsInbox]:
    inbox = EventsInbox(stack)
    try:
        yield inbox
    finally:
        inbox.close()


def serialize_moto_dynamodb(monkeypatch) -> None:
    """DynamoDB checks a condition and writes as one step; moto does not lock, so under
    threads its check and write can interleave. One request at a time restores DynamoDB's
    guarantee, and a race the app lost would still show as two winners."""
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    original = DynamoHandler.call_action

    def one_at_a_time(self):
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)


def enlist(stack, *names: str) -> None:
    """Agents as the staff directory knows them once each has signed in."""
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents

    agents = DynamoDBAgents(stack.client("dynamodb"), stack.settings.tickets_table)
    for name in names:
        agents.record(f"sub-{name}", name)
