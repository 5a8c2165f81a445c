"""SES feedback into the suppression list and the reputation counters; the suppression list's
management. On in-memory fakes of the suppression table (tests/fakes, held to the DynamoDB
adapters by tests/contracts)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.outbound_services import mail_out
from tests.support.ses_feedback import bounce_note, complaint_note, iso, today


@pytest.fixture
def svc():
    return mail_out()


def now_epoch() -> int:
    return int(datetime.now(UTC).timestamp())


def test_a_bounce_redelivered_ten_times_suppresses_once_and_counts_once(svc):
    """GIVEN one permanent bounce WHEN SQS delivers it 10 times THEN one entry, one counted bounce."""
    results = [svc.feedback.record(bounce_note("Jane <jane@customer.org>")) for _ in range(10)]
    assert [r.applied for r in results] == [1] + [0] * 9
    [entry] = svc.suppression.list()
    assert (entry.address, entry.reason, entry.feedback_id) == ("jane@customer.org", "BOUNCE", "fb-1")
    assert (
        entry.diagnostic == "smtp; 550 5.1.1 unknown"
        and entry.subtype == "Permanent General"
        and not entry.expires_at
    )
    assert today(svc)["bounces"] == 1
    batch = svc.feedback.record_batch((f"m{n}", bounce_note("jane@customer.org")) for n in range(10))
    assert batch.failed == [] and today(svc)["bounces"] == 1


def test_the_same_bounce_in_both_shapes_counts_once(svc):
    svc.feedback.record(bounce_note("a@customer.org"))
    envelope = json.dumps(
        {"Type": "Notification", "Message": bounce_note("a@customer.org", shape="eventType")}
    )
    assert svc.feedback.record(envelope).applied == 0
    assert today(svc)["bounces"] == 1


def test_every_recipient_of_a_multi_recipient_notification_is_suppressed(svc):
    recipients = [f"user{n}@customer.org" for n in range(45)]  # more than one transaction's worth
    summary = svc.feedback.record(bounce_note(*recipients))
    assert summary.applied == 45 and len(summary.suppressed) == 45
    assert [e.address for e in svc.suppression.list()] == sorted(recipients)
    assert svc.feedback.record(bounce_note(*recipients)).applied == 0
    assert today(svc)["bounces"] == 45


def test_a_redelivered_notification_with_a_new_recipient_applies_only_the_new_one(svc):
    svc.feedback.record(bounce_note("a@customer.org"))
    summary = svc.feedback.record(bounce_note("a@customer.org", "b@customer.org"))
    assert (summary.events, summary.applied, summary.suppressed) == (2, 1, ("b@customer.org",))
    assert today(svc)["bounces"] == 2


def test_complaints_suppress_every_complained_recipient(svc):
    svc.feedback.record(complaint_note("a@customer.org", "b@customer.org"))
    assert {(e.address, e.reason) for e in svc.suppression.list()} == {
        ("a@customer.org", "COMPLAINT"),
        ("b@customer.org", "COMPLAINT"),
    }
    assert today(svc)["complaints"] == 2


def test_soft_bounces_suppress_for_a_while_after_the_configured_number(svc):
    fixed = datetime.now(UTC)
    svc.feedback.clock = lambda: fixed
    for n in range(2):
        svc.feedback.record(
            bounce_note(
                "full@customer.org", bounce_type="Transient", subtype="MailboxFull", feedback_id=f"s{n}"
            )
        )
    assert svc.suppression.check("full@customer.org")["suppressed"] is False
    svc.feedback.record(
        bounce_note("full@customer.org", bounce_type="Transient", subtype="MailboxFull", feedback_id="s2")
    )
    [entry] = svc.suppression.list()
    assert entry.reason == "SOFT_BOUNCE" and "3 soft bounces" in entry.note
    assert entry.expires_at == int((fixed + timedelta(days=7)).timestamp())
    assert today(svc)["soft_bounces"] == 3 and today(svc)["bounces"] == 0
    svc.suppression.clock = lambda: datetime.now(UTC) + timedelta(days=8)
    assert svc.suppression.check("full@customer.org")["suppressed"] is False, "the entry expires"


def test_soft_bounces_count_only_within_the_window(svc):
    """GIVEN two soft bounces WHEN the third comes after the window has passed them THEN no entry."""
    start = datetime.now(UTC)
    window = timedelta(hours=svc.settings.soft_bounce_window_hours)
    svc.feedback.clock = lambda: start
    for n in range(2):
        svc.feedback.record(
            bounce_note(
                "full@customer.org",
                bounce_type="Transient",
                subtype="MailboxFull",
                feedback_id=f"s{n}",
                at=start,
            )
        )
    later = start + window + timedelta(minutes=1)
    svc.feedback.clock = lambda: later
    svc.feedback.record(
        bounce_note(
            "full@customer.org", bounce_type="Transient", subtype="MailboxFull", feedback_id="s2", at=later
        )
    )
    assert svc.suppression.check("full@customer.org")["suppressed"] is False
    for n in (3, 4):  # two more within the window of the third: the limit again
        svc.feedback.record(
            bounce_note(
                "full@customer.org",
                bounce_type="Transient",
                subtype="MailboxFull",
                feedback_id=f"s{n}",
                at=later,
            )
        )
    [entry] = svc.suppression.list()
    assert (entry.reason, entry.note) == ("SOFT_BOUNCE", "3 soft bounces or delays within 72 hours")


def test_soft_bounces_that_come_back_as_mail_suppress_at_the_limit(svc):
    svc.table.send_ledger.record_sent(["full@customer.org"], ["<o1@example.com>"], iso(), now_epoch())
    reports = [
        svc.feedback.suppress_from_inbound_bounce(
            ["full@customer.org"], False, f"sesdsn{n}", ["<o1@example.com>"]
        )
        for n in range(3)
    ]
    assert [r.summary.suppressed for r in reports] == [(), (), ("full@customer.org",)]
    [entry] = svc.suppression.list()
    assert (entry.reason, entry.source, entry.feedback_id) == ("SOFT_BOUNCE", "inbound-dsn", "sesdsn2")
    assert entry.expires_at > datetime.now(UTC).timestamp()


def test_auto_reply_transients_are_never_counted_toward_suppression(svc):
    for n in range(5):
        svc.feedback.record(bounce_note("ooto@customer.org", bounce_type="Transient", feedback_id=f"g{n}"))
    assert svc.suppression.list() == []
    assert today(svc)["ignored_bounces"] == 5 and today(svc)["soft_bounces"] == 0


def test_soft_bounces_never_replace_a_permanent_entry(svc):
    svc.feedback.record(bounce_note("gone@customer.org", feedback_id="hard"))
    for n in range(4):
        svc.feedback.record(
            bounce_note(
                "gone@customer.org", bounce_type="Transient", subtype="MailboxFull", feedback_id=f"s{n}"
            )
        )
    [entry] = svc.suppression.list()
    assert (entry.reason, entry.expires_at) == ("BOUNCE", 0)


def test_account_suppression_list_refusals_are_recorded_but_not_counted_as_bounces(svc):
    svc.feedback.record(bounce_note("listed@customer.org", subtype="OnAccountSuppressionList"))
    [entry] = svc.suppression.list()
    assert entry.reason == "ACCOUNT_SUPPRESSED" and entry.expires_at > datetime.now(UTC).timestamp()
    assert (today(svc)["bounces"], today(svc)["account_suppressed"]) == (0, 1)


def test_a_poison_record_fails_alone_and_the_good_records_of_its_batch_apply(svc):
    batch = [
        ("m1", bounce_note("a@customer.org", feedback_id="f1")),
        ("m2", "{not json"),
        ("m3", complaint_note("b@customer.org")),
    ]
    result = svc.feedback.record_batch(batch)
    assert result.failed == ["m2"]
    assert {e.address for e in svc.suppression.list()} == {"a@customer.org", "b@customer.org"}


def test_bounces_that_come_back_as_mail_suppress_only_recipients_of_a_message_they_name(svc):
    send_ledger = svc.table.send_ledger
    send_ledger.record_sent(
        ["alice@customer.org"], ["<ours-1@example.com>", "<ses-1@email.amazonses.com>"], iso(), now_epoch()
    )
    send_ledger.record_sent(["bob@customer.org"], ["<ours-2@example.com>"], iso(), now_epoch())
    named = ["Alice@Customer.org", "bob@customer.org", "stranger@else.org"]
    report = svc.feedback.suppress_from_inbound_bounce(
        named, True, "sesdsn1", ["<ses-1@email.amazonses.com>"]
    )
    assert report.summary.suppressed == ("alice@customer.org",)
    assert report.check.unverified == ("bob@customer.org", "stranger@else.org")
    assert "was not sent to that address" in report.check.summary
    [entry] = svc.suppression.list()
    assert (entry.reason, entry.source, entry.feedback_id) == ("BOUNCE", "inbound-dsn", "sesdsn1")
    again = svc.feedback.suppress_from_inbound_bounce(
        ["alice@customer.org"], True, "sesdsn1", ["<ours-1@example.com>"]
    )
    assert again.summary.applied == 0
    assert today(svc)["bounces"] == 0, "SES counts the bounces it receives; we do not count these twice"


def test_a_mailed_report_naming_no_message_of_ours_suppresses_nobody(svc):
    svc.table.send_ledger.record_sent(["alice@customer.org"], ["<ours-1@example.com>"], iso(), now_epoch())
    for ids, why in (([], "names no Message-ID"), (["<a1@customer.org>"], "names no message we sent")):
        report = svc.feedback.suppress_from_inbound_bounce(["alice@customer.org"], True, "sesdsn9", ids, True)
        assert report.summary.applied == 0 and why in report.check.summary
    assert svc.suppression.list() == []
    complaint = svc.feedback.suppress_from_inbound_bounce(
        ["alice@customer.org"], True, "sesarf1", ["<ours-1@example.com>"], True
    )
    assert complaint.summary.suppressed == ("alice@customer.org",)
    assert [e.reason for e in svc.suppression.list()] == ["COMPLAINT"]


def test_managing_the_list_import_check_remove_with_an_audit_trail(svc):
    svc.feedback.record(bounce_note("jane@customer.org"))
    text = "address,reason\n# a comment\nbob@else.org,unsubscribed\njane@customer.org,manual\nnot an address\n\nCarol <CAROL@else.org>\n"
    report = svc.suppression.import_list(text, by="ops")
    assert (report.imported, report.already, report.invalid) == (2, 1, ["not an address"])
    assert [(e.address, e.reason) for e in svc.suppression.list()] == [
        ("bob@else.org", "UNSUBSCRIBED"),
        ("carol@else.org", "IMPORTED"),
        ("jane@customer.org", "BOUNCE"),
    ]
    assert svc.suppression.check("JANE@customer.org") == {
        "address": "jane@customer.org",
        "suppressed": True,
        "reason": "BOUNCE",
        "entry": svc.suppression.list()[2].as_dict(),
    }
    removed = svc.suppression.remove(
        "jane@customer.org", by="agent@example.com", why="mailbox fixed, customer called"
    )
    assert removed.reason == "BOUNCE"
    assert svc.suppression.check("jane@customer.org") == {
        "address": "jane@customer.org",
        "suppressed": False,
        "reason": None,
    }
    assert svc.suppression.remove("jane@customer.org", by="x", why="y") is None
    audit = svc.table.suppression_list.audit_log()
    removal = next(a for a in audit if a.action == "removed")
    assert (removal.address, removal.by, removal.why) == (
        "jane@customer.org",
        "agent@example.com",
        "mailbox fixed, customer called",
    )
    assert removal.details["previous"]["reason"] == "BOUNCE"
    assert any(a.action == "imported" and a.by == "ops" for a in audit)
