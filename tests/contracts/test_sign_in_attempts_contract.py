"""Sign-in attempt counters twice: the fake and the DynamoDB adapter on moto. What the
sign-in guard counts on: each attempt counts one more in its window, and another key or
window starts again at one; an attempt taken back counts one fewer, never below none."""

from __future__ import annotations

import pytest

from chalicelib.domain.sign_in_throttle import Counter
from chalicelib.services.ports.tickets import AttemptCounters
from tests.fakes.sign_in_attempts import FakeSignInAttempts
from tests.support.dynamodb_tables import pk_sk_table


@pytest.fixture(params=["fake", "dynamodb"])
def attempts(request: pytest.FixtureRequest) -> AttemptCounters:
    if request.param == "fake":
        return FakeSignInAttempts()
    from chalicelib.adapters.dynamodb_sign_in_attempts import DynamoDBSignInAttempts

    db = request.getfixturevalue("aws").client("dynamodb")
    return DynamoDBSignInAttempts(db, pk_sk_table(db, "contract"))


def test_each_attempt_counts_one_more_in_its_own_window_and_key(attempts):
    ann = Counter("ann@example.com", 1_800_000_000, 5, "this address")
    assert [attempts.add(ann), attempts.add(ann), attempts.add(ann)] == [1, 2, 3]
    assert attempts.add(Counter("bob@example.com", ann.window_start, 5, "this address")) == 1
    assert attempts.add(Counter(ann.key, ann.window_end, 5, "this address")) == 1
    assert attempts.add(ann) == 4


def test_an_attempt_taken_back_counts_one_fewer_and_never_below_none(attempts):
    ann = Counter("ann@example.com", 1_800_000_000, 5, "this address")
    attempts.add(ann), attempts.add(ann)
    attempts.take_back(ann)
    assert attempts.add(ann) == 2
    attempts.take_back(ann), attempts.take_back(ann), attempts.take_back(ann)
    assert attempts.add(ann) == 1
    never_counted = Counter("bob@example.com", ann.window_start, 5, "this address")
    attempts.take_back(never_counted)
    assert attempts.add(never_counted) == 1
