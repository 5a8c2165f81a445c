"""The sweeper on in-memory ports: raw mail left in incoming/ is re-driven, and quarantined
after the last attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.services.sweeper import IncomingSweeper
from tests.fakes.stack import FakeStack
from tests.support.mail_factory import make_mail

LATER = datetime.now(UTC) + timedelta(hours=3)


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


class BrokenReader:
    """A parser that fails like a bug would, until it is fixed."""

    def __init__(self, real):
        self.real, self.broken = real, True

    def __call__(self, raw):
        if self.broken:
            raise RuntimeError("parser bug")
        return self.real(raw)


def test_a_lost_notification_is_recovered_as_a_ticket(stack):
    """GIVEN a raw mail in incoming/ whose notification never came WHEN the sweeper runs later
    THEN it becomes a ticket and incoming/ is empty; young objects are left for their queue."""
    stack.store.put_incoming("lostnotification01", make_mail(subject="Lost notification"))
    sweeper = IncomingSweeper(stack.ingest, timedelta(minutes=120), 3)
    assert sweeper.sweep().too_young == 1
    report = sweeper.sweep(now=LATER)
    [outcome] = report.redriven
    assert outcome.outcome == "created"
    assert stack.tickets.require_ticket(outcome.ticket).subject == "Lost notification"
    assert stack.keys("incoming/") == []


def test_a_mail_that_always_fails_ends_in_quarantine_failed(stack):
    from dataclasses import replace

    from chalicelib.services.ingest import IngestService

    reader = BrokenReader(stack.ingest.ports.read_mail)
    ingest = IngestService(stack.settings, replace(stack.ingest.ports, read_mail=reader))
    stack.store.put_incoming("alwaysfails000001", make_mail(subject="Poison"))
    sweeper = IncomingSweeper(ingest, timedelta(minutes=120), 2)
    assert sweeper.sweep(now=LATER).failed == ["alwaysfails000001"]
    assert sweeper.sweep(now=LATER).failed == ["alwaysfails000001"]
    assert sweeper.sweep(now=LATER).quarantined == ["alwaysfails000001"]
    assert stack.keys("incoming/") == []
    assert stack.keys("quarantine/failed/") == ["quarantine/failed/alwaysfails000001"]
    assert stack.tickets.get_delivery("alwaysfails000001")["outcome"] == "quarantined"
