"""The domain's words are types (StrEnum) whose stored and printed forms are the plain words.

GIVEN a ticket, a message or an outcome built from enum members
WHEN it is stored (DynamoDB's typed form, as botocore sends it) or printed as JSON
THEN the bytes are those of the plain strings, and reading them back gives the members.
"""

import json

import pytest

from chalicelib.adapters import dynamodb_items as items
from chalicelib.domain.outcome import Outcome, OutcomeKind
from chalicelib.domain.tickets import (
    Direction,
    MessageKind,
    Priority,
    StoredMessage,
    ThreadSignal,
    Ticket,
    TicketStatus,
)


def _ticket(**words):
    return Ticket(id="T-7", mailbox="support", subject="Printer", requester="a@customer.org", **words)


def _message(**words):
    return StoredMessage(
        ticket_id="T-7",
        key="ses-1",
        sender="a@customer.org",
        sender_name="A",
        to=("support@example.com",),
        cc=(),
        subject="Printer",
        message_id="<m1@customer.org>",
        received_at="2026-12-07T10:00:00.000Z",
        **words,
    )


def test_a_stored_ticket_is_byte_for_byte_the_item_of_plain_words():
    typed = _ticket(status=TicketStatus.PENDING, priority=Priority.URGENT)
    plain = _ticket(status="pending", priority="urgent")  # as stored before the words were types
    assert json.dumps(items.ticket_item(typed), sort_keys=True) == json.dumps(
        items.ticket_item(plain), sort_keys=True
    )
    assert items.ticket_item(typed)["status"] == {"S": "pending"}
    assert items.ticket_item(typed)["gsi1sk"]["S"].startswith("0#0#")  # urgent ranks first


def test_a_ticket_read_back_carries_the_words_as_members():
    back = items.ticket_from_item(
        items.ticket_item(_ticket(status=TicketStatus.SOLVED, priority=Priority.LOW))
    )
    assert type(back.status) is TicketStatus and back.status is TicketStatus.SOLVED
    assert type(back.priority) is Priority and back.priority is Priority.LOW


def test_a_stored_message_round_trips_its_direction_kind_and_signal():
    typed = _message(
        direction=Direction.INBOUND, kind=MessageKind.AUTO_REPLY, thread_signal=ThreadSignal.TOKEN
    )
    plain = _message(direction="inbound", kind="auto_reply", thread_signal="token")
    item = items.message_item(typed)
    assert json.dumps(item, sort_keys=True) == json.dumps(items.message_item(plain), sort_keys=True)
    back = items.message_from_item(item)
    assert (back.direction, back.kind, back.thread_signal) == (
        Direction.INBOUND,
        MessageKind.AUTO_REPLY,
        ThreadSignal.TOKEN,
    )
    assert type(back.kind) is MessageKind


def test_the_outcome_json_line_is_unchanged_and_its_record_reads_back_typed():
    outcome = Outcome(
        OutcomeKind.THREADED, "ses-1", ticket="T-7", mailbox="support", thread_signal=ThreadSignal.REFERENCES
    )
    line = json.dumps(outcome.as_json("mail/x.eml"))
    assert '"outcome": "threaded"' in line and '"thread_signal": "references"' in line
    back = Outcome.from_record("ses-1", json.loads(json.dumps(outcome.as_record())))
    assert back == outcome and type(back.outcome) is OutcomeKind and type(back.thread_signal) is ThreadSignal


def test_a_record_without_its_outcome_reads_as_a_duplicate():
    """Only a delivery committed before has a record: whatever it lacks, it was processed."""
    assert Outcome.from_record("ses-1", {}).outcome is OutcomeKind.DUPLICATE


@pytest.mark.parametrize("word", ["", "reopened", "NEW"])
def test_a_stored_status_outside_the_vocabulary_is_refused_on_read(word):
    """A status the desk never writes is a damaged item: reading it says so instead of guessing."""
    raw = items.ticket_item(_ticket())
    raw["status"] = {"S": word} if word else {"NULL": True}
    with pytest.raises(ValueError):
        items.ticket_from_item(raw)


def test_a_refusal_carries_its_reason_as_a_member_and_shows_the_plain_code():
    from chalicelib.domain.refusals import RefusalReason
    from chalicelib.domain.reputation import ReputationState
    from chalicelib.domain.send_policy import SendFacts, decide

    decision = decide(
        SendFacts(
            "a@customer.org", automatic=True, reputation_state=ReputationState.PAUSED, reputation_note="high"
        )
    )
    assert decision.reason is RefusalReason.REPUTATION
    assert json.dumps({"error": decision.reason}) == '{"error": "reputation"}'
    assert decide(SendFacts("a@customer.org", automatic=False)).reason is None  # allowed: no reason


def test_a_defect_is_typed_in_the_mail_and_stored_and_shown_as_its_text():
    from chalicelib.adapters.mail.reader import read_mail
    from chalicelib.domain.mail import Defect, DefectKind

    raw = b"From: a@customer.org\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\n" + "é".encode(
        "latin-1"
    )
    parsed = read_mail(raw)
    [charset] = [d for d in parsed.defects if d.kind == DefectKind.CHARSET_DECODE]
    assert str(charset).startswith("CharsetDecodeDefect: text/plain declared 'utf-8'")
    stored = items.message_item(
        _message(direction="inbound", kind="customer", thread_signal="new", defects=parsed.defects)
    )
    assert stored["defects"] == {"L": [{"S": str(d)} for d in parsed.defects]}
    assert items.message_from_item(stored).defects == parsed.defects
    assert Defect.parse("NoBoundaryInMultipartDefect: A message claimed to be a multipart") == Defect(
        "NoBoundaryInMultipartDefect", "A message claimed to be a multipart"
    )


def test_ses_verdicts_are_members_and_store_as_ses_wrote_them():
    from chalicelib.domain import verdicts
    from chalicelib.domain.mail import Verdict

    read = verdicts.from_notification(
        {
            "spamVerdict": {"status": "pass"},
            "dkimVerdict": {"status": "GRAY"},
            "dmarcVerdict": {"status": "odd"},
        }
    )
    assert (read.spam, read.dkim, read.dmarc, read.virus) == (
        Verdict.PASS,
        Verdict.GRAY,
        Verdict.NONE,
        Verdict.NONE,
    )
    assert type(read.spam) is Verdict
    assert json.dumps(read.as_dict()) == (
        '{"spam": "PASS", "virus": "NONE", "spf": "NONE", "dkim": "GRAY", "dmarc": "NONE"}'
    )
