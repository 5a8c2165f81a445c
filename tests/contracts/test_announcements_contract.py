"""The announcements store: the fake and the DynamoDB adapter keep the same promises."""

from __future__ import annotations

from chalicelib.domain.announcements import Announcement, AnnouncementState, Recipient
from chalicelib.domain.announcements import RecipientState as S

AT = "2026-12-01T10:00:00.000Z"


def announcement(id_: str, created_at: str = AT) -> Announcement:
    return Announcement(id_, "support", "News", "Hello {name}", created_at=created_at, total=2)


def test_an_announcement_is_stored_with_its_recipients_and_listed_newest_first(announcement_store):
    announcement_store.create(announcement("A-1", "2026-11-30T00:00:00.000Z"), [Recipient("z@x.org")])
    announcement_store.create(
        announcement("A-2"), [Recipient("b@x.org", name="Bo", ticket="T-9"), Recipient("a@x.org")]
    )

    assert announcement_store.get("A-2") == announcement("A-2")
    assert announcement_store.get("A-3") is None
    assert announcement_store.listed() == ["A-2", "A-1"]
    assert [r.address for r in announcement_store.recipients("A-2")] == ["a@x.org", "b@x.org"]
    assert announcement_store.recipient("A-2", "b@x.org") == Recipient("b@x.org", name="Bo", ticket="T-9")
    announcement_store.set_state("A-2", AnnouncementState.SENDING)
    assert announcement_store.get("A-2").state == "sending"


def test_who_sent_it_is_kept_and_a_stop_keeps_its_reason_until_sent_again(announcement_store):
    announcement_store.create(announcement("A-1"), [Recipient("a@x.org")])
    announcement_store.set_state("A-1", AnnouncementState.SENDING, started_by="ann@example.com")
    assert not announcement_store.stop("A-1", "bob@example.com", "stopped: author disabled"), "not his"
    assert announcement_store.get("A-1").state == "sending"
    assert announcement_store.stop("A-1", "ann@example.com", "stopped: author disabled")
    stopped = announcement_store.get("A-1")
    assert (stopped.state, stopped.started_by, stopped.stopped_reason) == (
        "stopped",
        "ann@example.com",
        "stopped: author disabled",
    )
    announcement_store.set_state("A-1", AnnouncementState.SENDING, started_by="bob@example.com")
    resumed = announcement_store.get("A-1")
    assert (resumed.state, resumed.started_by, resumed.stopped_reason) == ("sending", "bob@example.com", "")


def test_a_recipient_is_claimed_once_and_moves_only_from_the_states_named(announcement_store):
    announcement_store.create(announcement("A-1"), [Recipient("a@x.org")])

    claimed = announcement_store.claim("A-1", "a@x.org", AT)

    assert (claimed.state, claimed.updated_at) == (S.SENDING, AT)
    assert announcement_store.claim("A-1", "a@x.org", AT) is None
    assert announcement_store.settle("A-1", "a@x.org", S.REFUSED, (S.PENDING,), AT, "no") is None
    sent = announcement_store.settle("A-1", "a@x.org", S.SENT, (S.SENDING,), AT, ses_message_id="ses-1")
    assert (sent.state, sent.ses_message_id, sent.reason) == (S.SENT, "ses-1", "")
    assert announcement_store.claim("A-1", "nobody@x.org", AT) is None


def test_the_first_opt_out_is_kept(announcement_store):
    assert announcement_store.opt_out("u@x.org", AT, "one-click") is True
    assert announcement_store.opt_out("u@x.org", AT, "again") is False
    assert announcement_store.opted_out(["u@x.org", "v@x.org", "u@x.org"]) == {"u@x.org"}


def test_opens_and_clicks_gather_as_marks_and_a_mark_twice_counts_once(announcement_store):
    announcement_store.create(announcement("A-1"), [Recipient("a@x.org")])

    assert announcement_store.engage("A-1", "a@x.org", False, AT) is True
    assert announcement_store.engage("A-1", "a@x.org", False, AT) is True  # redelivered: no change
    assert announcement_store.engage("A-1", "a@x.org", False, "2026-12-01T11:00:00.000Z") is True
    assert announcement_store.engage("A-1", "a@x.org", True, f"{AT} https://x.org/") is True
    assert announcement_store.engage("A-1", "nobody@x.org", False, AT) is False

    found = announcement_store.recipient("A-1", "a@x.org")
    assert (found.opens, found.clicks, found.state) == (2, 1, S.PENDING)
    assert [(r.opens, r.clicks) for r in announcement_store.recipients("A-1")] == [(2, 1)]
