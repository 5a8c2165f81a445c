"""Soft bounces of one address processed at once: counted exactly, suppressed once at the limit.

A soft bounce reads its address's count (and version) before its transaction and
writes it back only over that version (chalicelib/services/feedback.py). These
tests make the race happen on purpose: another record_feedback run commits a soft
bounce of the same address inside this one's window, from a botocore hook on this
one's session, just before its TransactWriteItems goes out.
"""

from __future__ import annotations

import boto3
import pytest

from chalicelib.errors import ConcurrentUpdate
from chalicelib.services import feedback
from chalicelib.wiring import build_services
from tests.support.fault_injection import CommitFirst
from tests.support.ses_feedback import bounce_note, today

ADDRESS = "full@customer.org"


def soft(feedback_id: str, address: str = ADDRESS) -> str:
    return bounce_note(address, bounce_type="Transient", subtype="MailboxFull", feedback_id=feedback_id)


@pytest.fixture
def racing(stack):
    """Services on a second session, and a way to commit other notes inside its window."""
    session = boto3.session.Session(region_name="us-east-1")

    def race(*notes: str):
        # Before any client of the session: clients copy the hooks they find.
        other = CommitFirst(session, stack.services.feedback.record, list(notes))
        return build_services(stack.settings, session), other

    return race


def soft_count(svc, address: str = ADDRESS) -> int:
    return len(svc.feedback.feedback_ledger.soft_bounces([address]).states[address].times)


def test_two_soft_bounces_at_once_both_count_and_the_one_reaching_the_limit_suppresses(stack, racing):
    # GIVEN an address one soft bounce short of the limit but for two arriving together
    svc, other = racing(soft("theirs"))
    for n in range(svc.settings.soft_bounce_limit - 2):
        stack.services.feedback.record(soft(f"before-{n}"))
    # WHEN this run has read the count and the other commits its soft bounce first
    mine = svc.feedback.record(soft("mine"))
    # THEN the other counted below the limit; this run's transaction found the version moved,
    # read again and counted on top: the limit is reached once, with a single entry
    [theirs] = other.done
    assert (theirs.applied, theirs.suppressed) == (1, ())
    assert (mine.applied, mine.suppressed) == (1, (ADDRESS,))
    assert soft_count(svc) == svc.settings.soft_bounce_limit == 3
    [entry] = svc.suppression.list()
    assert (entry.address, entry.reason) == (ADDRESS, "SOFT_BOUNCE")
    assert entry.note == "3 soft bounces or delays within 72 hours" and entry.feedback_id == "mine"
    assert today(svc)["soft_bounces"] == 3


def test_a_soft_bounce_over_the_limit_at_once_with_another_counts_both_and_keeps_one_entry(stack, racing):
    # GIVEN an address already suppressed for its soft bounces
    svc, other = racing(soft("theirs"))
    for n in range(svc.settings.soft_bounce_limit):
        stack.services.feedback.record(soft(f"before-{n}"))
    # WHEN two more arrive together THEN neither overwrites the other's count
    mine = svc.feedback.record(soft("mine"))
    assert other.done[0].suppressed == (ADDRESS,) and mine.suppressed == (ADDRESS,)
    assert soft_count(svc) == 5
    [entry] = svc.suppression.list()
    assert entry.note == "5 soft bounces or delays within 72 hours"


def test_a_count_that_keeps_moving_fails_the_record_for_the_queue_and_the_retry_counts_it_once(stack, racing):
    # GIVEN more concurrent soft bounces than a run re-reads its count for
    others = [soft(f"theirs-{n}") for n in range(feedback.SOFT_ATTEMPTS)]
    svc, other = racing(*others)
    # WHEN this run's every transaction finds the version moved
    # THEN it fails (SQS redelivers the record) having written nothing
    with pytest.raises(ConcurrentUpdate):
        svc.feedback.record(soft("mine"))
    assert soft_count(svc) == feedback.SOFT_ATTEMPTS
    # AND the redelivery, uncontended, counts it once
    assert svc.feedback.record(soft("mine")).applied == 1
    assert svc.feedback.record(soft("mine")).applied == 0
    assert soft_count(svc) == feedback.SOFT_ATTEMPTS + 1
    assert today(svc)["soft_bounces"] == feedback.SOFT_ATTEMPTS + 1
    [entry] = svc.suppression.list()
    assert entry.note == f"{feedback.SOFT_ATTEMPTS + 1} soft bounces or delays within 72 hours"


def test_a_permanent_bounce_committed_meanwhile_is_never_replaced_by_the_soft_entry(stack, racing):
    # GIVEN an address at the limit with this soft bounce, which read no entry for it
    svc, other = racing(bounce_note(ADDRESS, feedback_id="hard"))
    for n in range(svc.settings.soft_bounce_limit - 1):
        stack.services.feedback.record(soft(f"before-{n}"))
    # WHEN a permanent bounce of the address commits before this run's transaction
    mine = svc.feedback.record(soft("mine"))
    # THEN the soft bounce is counted, and the permanent entry stays as it is
    assert (mine.applied, mine.suppressed) == (1, ())
    assert soft_count(svc) == 3
    [entry] = svc.suppression.list()
    assert (entry.reason, entry.expires_at, entry.feedback_id) == ("BOUNCE", 0, "hard")
