"""Who else has a ticket open, on the in-memory presence store: a touch shows the others,
a presence lapses on its own, leaving ends it at once, and a malformed id is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import TicketNotFound
from chalicelib.services.ticket_presence import PRESENCE_SECONDS, TicketPresence
from tests.fakes.staff import FakePresence


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_agents_see_each_other_until_one_leaves_or_stops_renewing():
    clock = Clock()
    presence = TicketPresence(FakePresence(), clock)

    assert presence.touch("T-1001", "ann@example.com", writing=False).others == ()
    [ann] = presence.touch("T-1001", "bob@example.com", writing=True).others
    assert (ann.agent, ann.writing) == ("ann@example.com", False)
    assert [p.agent for p in presence.others("T-1001", "ann@example.com")] == ["bob@example.com"]

    presence.leave("T-1001", "bob@example.com")
    assert presence.others("T-1001", "ann@example.com") == []
    clock.now += timedelta(seconds=PRESENCE_SECONDS + 1)  # Ann's laptop closed: no renewal
    assert presence.others("T-1001", "bob@example.com") == []


def test_a_malformed_ticket_id_is_not_found():
    presence = TicketPresence(FakePresence(), Clock())
    with pytest.raises(TicketNotFound):
        presence.touch("T-1001#AGENT#x", "ann@example.com", writing=False)


def test_an_arrival_a_draft_begun_and_a_leaving_move_the_tickets_presence_counter_a_renewal_does_not():
    """What a colleague's console reads every few seconds (GET /api/changes?ticket=): it asks
    who is there when the counter moved, instead of waiting for its own 15 s renewal."""
    clock, store = Clock(), FakePresence()
    presence = TicketPresence(store, clock)
    assert presence.touch("T-1001", "ann@example.com", writing=False).changes == 1  # arrived
    assert presence.touch("T-1001", "bob@example.com", writing=False).changes == 2  # arrived
    clock.now += timedelta(seconds=15)
    assert presence.touch("T-1001", "ann@example.com", writing=False).changes is None  # renewed
    assert presence.touch("T-1001", "bob@example.com", writing=True).changes == 3  # writes
    presence.leave("T-1001", "bob@example.com")
    presence.leave("T-1001", "bob@example.com")  # gone already: nothing moves
    assert store.signals == {"T-1001": 4}
    clock.now += timedelta(seconds=PRESENCE_SECONDS + 1)  # Ann's lapsed: her return is an arrival
    assert presence.touch("T-1001", "ann@example.com", writing=False).changes == 5
