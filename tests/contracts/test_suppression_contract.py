"""The suppression list, the feedback ledger and the reputation counters: the fake and the
DynamoDB adapters keep the same promises (see tests/contracts/conftest.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from chalicelib.domain.suppression import ListAction, SoftBounces, SuppressionEntry
from chalicelib.services.ports.outbound import Applied, ListChange, SoftWrite

NOW = 1_796_000_000  # 2026-12-01, epoch seconds
AT = "2026-12-01T10:00:00.000Z"
DAY = "2026-12-01"


def entry(address: str, reason: str = "BOUNCE", expires_at: int = 0) -> SuppressionEntry:
    return SuppressionEntry(address, reason, AT, source="ses-feedback", expires_at=expires_at)


def test_an_entry_is_listed_until_it_expires(suppression_table):
    listed = suppression_table.suppression_list
    listed.put(entry("b@x.org"))
    listed.put(entry("a@x.org", "SOFT_BOUNCE", expires_at=NOW + 60))

    assert listed.get("b@x.org", NOW) == entry("b@x.org")
    assert [e.address for e in listed.entries(NOW)] == ["a@x.org", "b@x.org"]
    assert listed.get("a@x.org", NOW + 60) is None  # expired, though TTL has not removed it
    assert [e.address for e in listed.entries(NOW + 60)] == ["b@x.org"]
    assert listed.get("nobody@x.org", NOW) is None


def test_an_expiring_entry_never_replaces_a_permanent_one_and_an_import_never_replaces_any(
    suppression_table,
):
    listed = suppression_table.suppression_list
    listed.put(entry("p@x.org"))
    listed.put(entry("s@x.org", "SOFT_BOUNCE", expires_at=NOW + 60))

    assert listed.put(entry("p@x.org", "ACCOUNT_SUPPRESSED", NOW + 99), only_over="expiring") is False
    assert listed.put(entry("s@x.org", "ACCOUNT_SUPPRESSED", NOW + 99), only_over="expiring") is True
    assert listed.put(entry("s@x.org", "IMPORTED"), only_over="absent") is False
    assert listed.put(entry("new@x.org", "IMPORTED"), only_over="absent") is True
    assert [(e.address, e.reason) for e in listed.entries(NOW)] == [
        ("new@x.org", "IMPORTED"),
        ("p@x.org", "BOUNCE"),
        ("s@x.org", "ACCOUNT_SUPPRESSED"),
    ]


def test_a_removal_and_an_import_are_in_the_audit_trail_newest_first(suppression_table):
    listed = suppression_table.suppression_list
    listed.put(entry("jane@x.org"))
    listed.audit(
        ListChange(ListAction.IMPORTED, "2026-12-01T09:00:00.000Z", "ops", "import", details={"imported": 2})
    )
    previous = entry("jane@x.org").as_dict()
    removal = ListChange(
        ListAction.REMOVED, AT, "agent@example.com", "fixed", "jane@x.org", {"previous": previous}
    )

    listed.remove("jane@x.org", removal)

    assert listed.get("jane@x.org", NOW) is None
    newest, older = listed.audit_log()
    assert (newest.action, newest.address, newest.by, newest.why) == (
        "removed",
        "jane@x.org",
        "agent@example.com",
        "fixed",
    )
    assert newest.details["previous"]["reason"] == "BOUNCE"
    assert (older.action, older.address, older.details["imported"]) == ("imported", "*", 2)
    assert type(newest.action) is ListAction and type(older.action) is ListAction


def test_an_event_applies_once(suppression_table):
    ledger, counters = suppression_table.feedback_ledger, suppression_table.counters
    first = ledger.apply(["e1", "e2"], [entry("a@x.org")], [], {DAY: {"bounces": 2}}, NOW)

    again = ledger.apply(["e2", "e3"], [entry("c@x.org")], [], {DAY: {"bounces": 2}}, NOW)

    assert first == Applied()
    assert again == Applied(before=frozenset({"e2"}))  # nothing of it was written
    assert suppression_table.suppression_list.get("c@x.org", NOW) is None
    assert [d.counts for d in counters.day_counts(DAY, DAY)] == [{"bounces": 2}]


def test_soft_bounces_are_written_only_over_the_version_they_were_read_from(suppression_table):
    ledger = suppression_table.feedback_ledger
    read = ledger.soft_bounces(["s@x.org"])
    assert read.states == {"s@x.org": SoftBounces("s@x.org")}
    state = read.states["s@x.org"].adding([NOW - 10], NOW - 3600, 100)
    assert ledger.apply(["k1"], [], [SoftWrite(state, NOW + 3600)], {}, NOW) == Applied()

    stale = state.adding([NOW - 5], NOW - 3600, 100)  # still version 0: a concurrent writer
    moved = ledger.apply(["k2"], [], [SoftWrite(stale, NOW + 3600)], {}, NOW)

    assert moved == Applied(moved=frozenset({"s@x.org"}))
    assert ledger.soft_bounces(["s@x.org"]).states["s@x.org"] == SoftBounces("s@x.org", (NOW - 10,), 1)
    assert ledger.apply(["k2"], [], [], {}, NOW) == Applied()  # k2 was not marked applied


def test_an_expiring_entry_over_a_permanent_one_is_held_back_and_the_rest_applied(suppression_table):
    ledger = suppression_table.feedback_ledger
    suppression_table.suppression_list.put(entry("p@x.org"))
    expiring = [entry("p@x.org", "SOFT_BOUNCE", NOW + 60), entry("s@x.org", "SOFT_BOUNCE", NOW + 60)]

    applied = ledger.apply(["k"], [], [], {DAY: {"soft_bounces": 2}}, NOW, expiring)

    assert applied == Applied(held_back=frozenset({"p@x.org"}))
    listed = suppression_table.suppression_list
    assert [(e.address, e.reason) for e in listed.entries(NOW)] == [
        ("p@x.org", "BOUNCE"),
        ("s@x.org", "SOFT_BOUNCE"),
    ]
    assert ledger.soft_bounces(["p@x.org", "s@x.org"]).permanent == frozenset({"p@x.org"})


def test_day_counts_sum_what_every_writer_added_for_the_days_asked(suppression_table):
    ledger, counters = suppression_table.feedback_ledger, suppression_table.counters
    ledger.apply(["a"], [], [], {"2026-11-30": {"bounces": 1}, DAY: {"complaints": 1}}, NOW)
    ledger.apply(["b"], [], [], {DAY: {"complaints": 2, "deliveries": 5}}, NOW)
    suppression_table.send_ledger.record_sent(["x@y.org", "z@y.org"], ["<m@example.com>"], AT, NOW)
    ledger.apply(["c"], [], [], {"2026-12-02": {"bounces": 1}}, NOW)

    found = counters.day_counts("2026-11-30", DAY)

    assert [(d.day, d.counts) for d in found] == [
        ("2026-11-30", {"bounces": 1}),
        (DAY, {"complaints": 3, "deliveries": 5, "sent": 2}),
    ]


def test_a_transaction_of_more_than_100_items_is_refused_and_writes_nothing(suppression_table):
    ledger = suppression_table.feedback_ledger
    keys = [f"k{n}" for n in range(100)]

    with pytest.raises((ClientError, ValueError)):
        ledger.apply(keys, [entry("a@x.org")], [], {}, NOW)

    assert suppression_table.suppression_list.get("a@x.org", NOW) is None
    assert ledger.apply(keys[:1], [], [], {}, NOW) == Applied()
