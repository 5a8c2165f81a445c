"""Announcements' pure parts: placeholders, the unsubscribe token, the quota and the pacer."""

from __future__ import annotations

import base64

from chalicelib.domain import announcements as ann

SECRET, OLD = b"s" * 32, b"o" * 32


def test_placeholders_are_the_three_named_and_nothing_else():
    who = ann.Recipient("ann@a.org", name="Ann", ticket="T-9")
    assert ann.render("{name} {email} {ticket} {other} {name.__class__} {0}", who) == (
        "Ann ann@a.org T-9 {other} {name.__class__} {0}"
    )
    assert ann.render("Hi {name}", ann.Recipient("bob@b.org")) == "Hi bob"
    assert ann.render("<p>{name}</p>", ann.Recipient("x@y.org", name="<i>&"), as_html=True) == (
        "<p>&lt;i&gt;&amp;</p>"
    )


def test_a_token_names_its_address_and_cannot_be_made_for_another():
    token = ann.unsubscribe_token(SECRET, "Ann@A.org")
    assert ann.read_unsubscribe(token, (SECRET,)) == ann.OptOut("ann@a.org")
    assert ann.read_unsubscribe(token, (b"x" * 32,)) is None
    other = ann.unsubscribe_token(SECRET, "bob@b.org")
    forged = token.partition(".")[0] + "." + other.partition(".")[2]  # bob's mac on ann's address
    assert ann.read_unsubscribe(forged, (SECRET,)) is None
    assert (
        ann.read_unsubscribe(ann.unsubscribe_token(SECRET, "ann@a.org", list_name="other-list"), (SECRET,))
        is None
    )
    for junk in ("", ".", "%%%.###", "YQ.YQ", token + "."):
        assert ann.read_unsubscribe(junk, (SECRET,)) is None


def test_a_token_names_its_announcement_too_and_no_part_can_be_swapped():
    """Links name the announcement an opt-out counts for inside the signed token: another
    announcement's id, or a MAC moved between the older and the newer form, verifies nothing.
    A token of the older form (mail sent before) still names its address, and no announcement."""
    token = ann.unsubscribe_token(SECRET, "Ann@A.org", "A-20261207-3f2c9a")
    assert ann.read_unsubscribe(token, (SECRET,)) == ann.OptOut("ann@a.org", "A-20261207-3f2c9a")
    address, _, mac = token.split(".")
    other = ann.unsubscribe_token(SECRET, "ann@a.org", "A-20261208-000000").split(".")[1]
    old = ann.unsubscribe_token(SECRET, "ann@a.org")
    forged = (
        f"{address}.{other}.{mac}",  # another announcement's id under this one's MAC
        f"{address}.{mac}",  # the newer MAC as an older token
        f"{address}.{other}.{old.split('.')[1]}",  # the older MAC under an announcement
        f"{address}.{base64.urlsafe_b64encode(b'A-1<script>').decode().rstrip('=')}.{mac}",
    )
    for token_ in forged:
        assert ann.read_unsubscribe(token_, (SECRET,)) is None, token_
    assert ann.read_unsubscribe(old, (SECRET,)) == ann.OptOut("ann@a.org", "")


def test_a_token_of_the_previous_secret_still_verifies_after_rotation():
    assert ann.read_unsubscribe(ann.unsubscribe_token(OLD, "c@c.org"), (SECRET, OLD)) == ann.OptOut("c@c.org")


def test_the_quota_leaves_a_share_to_transactional_mail():
    assert ann.SendQuota(1000, 14, 100).remaining(0.2) == 700
    assert ann.SendQuota(1000, 14, 990).remaining(0.2) == 0
    assert ann.SendQuota(-1, 14, 5).remaining(0.2) > 10**6


def test_the_pacer_spaces_sends_by_the_rate_on_its_clock():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ann.Pacer(5.0, lambda: now[0], sleep)
    starts = [pacer.wait() for _ in range(6)]
    assert starts[0] == 0.2  # one interval in: the previous batch's last send may be just before
    assert all(abs(b - a - 0.2) < 1e-9 for a, b in zip(starts, starts[1:], strict=False))
    now[0] += 10  # idle: the next send goes at once, and no burst of saved-up slots follows it
    idle = now[0]
    assert pacer.wait() == idle
    assert abs(pacer.wait() - (idle + 0.2)) < 1e-9


def test_announcements_pause_before_transactional_mail_does():
    from chalicelib.domain.reputation import DayCounts, GuardState
    from chalicelib.services.announcement_sending import announcement_guard
    from chalicelib.settings import Settings

    settings = Settings()
    ok = GuardState("ok", 0.0, 0.0, 1000, 1, "fine")
    warning = GuardState("warning", 0.03, 0.0, 1000, 1, "bounces 3%")
    # 1,000 transactional sends without trouble; 300 announcements with 9 bounces (3 %):
    # below SES's 5 % and the transactional pause (4 %), above the announcements' 2 %.
    day = DayCounts("2026-12-07", {"sent": 1000, "announce_sends": 300, "announce_bounces": 9})
    assert announcement_guard(ok, [day], settings).state == "paused"
    clean = DayCounts("2026-12-07", {"sent": 1000, "announce_sends": 300, "announce_bounces": 1})
    assert announcement_guard(ok, [clean], settings).state == "ok"
    paused = announcement_guard(warning, [clean], settings)
    assert paused.state == "paused" and "transactional mail" in paused.note
