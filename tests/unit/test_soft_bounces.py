"""An address's soft bounces in the counting window (chalicelib.domain.suppression.SoftBounces)."""

from __future__ import annotations

from chalicelib.domain.suppression import SoftBounces


def test_adding_keeps_the_times_in_the_window_oldest_first_and_the_version_read():
    # GIVEN two stored soft bounces, one of them before the window
    read = SoftBounces("a@x.org", times=(100, 500), version=4)
    # WHEN two more are added, one of them late and older than the window
    after = read.adding([900, 150], since=200, keep=10)
    # THEN only those in the window count, in time order, and the version read stays
    assert after == SoftBounces("a@x.org", times=(500, 900), version=4)
    assert after.count(since=200) == 2 and read.count(since=200) == 1


def test_adding_keeps_at_most_the_newest_few_and_duplicates_count_twice():
    read = SoftBounces("a@x.org", times=(300, 300))
    assert read.adding([400, 350], since=0, keep=3).times == (300, 350, 400)
    assert read.adding([300], since=0, keep=5).times == (300, 300, 300)
