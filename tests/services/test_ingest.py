"""The ingest pipeline on in-memory ports: threading, duplicates, quarantine and the suspended
list as staff and customers notice them. The ports' fakes are held to the DynamoDB and S3
adapters by tests/contracts; what needs AWS itself stays in tests/adapters/test_ingest.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.mail import ReceivedMail
from chalicelib.domain.reply_tokens import reply_address
from chalicelib.services.notifications import Delivery
from tests.fakes.stack import SECRET, FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def test_new_mail_becomes_a_ticket_and_the_raw_moves_to_the_archive(stack):
    """GIVEN a new mail WHEN ingested THEN one ticket with one message exists and incoming/ is empty."""
    outcome = deliver(stack, make_mail())
    assert outcome.outcome == "created" and outcome.thread_signal == "new" and outcome.mailbox == "support"
    ticket = stack.tickets.require_ticket(outcome.ticket)
    assert ticket.subject == "Printer on fire" and ticket.requester == "alice@customer.org"
    assert ticket.status == "new" and ticket.message_count == 1
    [message] = stack.tickets.messages(outcome.ticket)
    assert message.body.text.strip() == "Hello, my printer is on fire."
    assert message.thread_signal == "new" and message.verdicts["spam"] == "PASS"
    assert stack.keys("incoming/") == []
    assert stack.keys("archive/") == [f"archive/2026/11/27/{outcome.ses_message_id}.eml"]


def test_reply_to_the_signed_reply_address_threads_by_token(stack):
    first = deliver(stack, make_mail())
    nonce = stack.tickets.require_ticket(first.ticket).token_nonce
    address = reply_address(SECRET, "support@example.com", first.ticket, nonce)
    reply = deliver(
        stack,
        make_mail(subject="Re: Printer", sender="Bob <bob@customer.org>", to=address),
        recipients=(address,),
    )
    assert (reply.outcome, reply.ticket, reply.thread_signal) == ("threaded", first.ticket, "token")
    assert stack.tickets.require_ticket(first.ticket).message_count == 2


def test_forged_token_opens_a_new_ticket_that_names_the_related_one(stack):
    first = deliver(stack, make_mail())
    forged = f"support+{first.ticket}.aaaaaaaaaaaaaaaa@example.com"
    outcome = deliver(stack, make_mail(sender="mallory@evil.test", to=forged), recipients=(forged,))
    assert outcome.outcome == "created" and outcome.ticket != first.ticket
    assert outcome.related_ticket == first.ticket


def test_reply_with_references_threads_a_participant_but_not_a_stranger(stack):
    first = deliver(stack, make_mail(message_id="<orig-1@customer.org>"))
    reply = deliver(
        stack,
        make_mail(subject="Re: x", in_reply_to="<orig-1@customer.org>", references="<orig-1@customer.org>"),
    )
    assert (reply.outcome, reply.ticket, reply.thread_signal) == ("threaded", first.ticket, "references")
    stranger = deliver(stack, make_mail(sender="eve@else.org", in_reply_to="<orig-1@customer.org>"))
    assert stranger.outcome == "created" and stranger.related_ticket == first.ticket


def test_subject_tag_threads_a_participant_and_a_foreign_tag_does_not(stack):
    first = deliver(stack, make_mail())
    tagged = deliver(stack, make_mail(subject=f"Re: [{first.ticket}] Printer"))
    assert (tagged.ticket, tagged.thread_signal) == (first.ticket, "subject")
    foreign = deliver(stack, make_mail(subject=f"[{first.ticket}] hijack", sender="eve@else.org"))
    assert foreign.outcome == "created" and foreign.ticket != first.ticket


def test_spoofed_sender_with_dmarc_fail_never_joins_the_ticket(stack):
    first = deliver(stack, make_mail(message_id="<m1@customer.org>"))
    spoof = deliver(
        stack, make_mail(subject=f"Re: [{first.ticket}]", in_reply_to="<m1@customer.org>"), dmarc="FAIL"
    )
    assert spoof.outcome == "created" and spoof.related_ticket == first.ticket


def test_redelivered_notification_is_a_duplicate_and_stores_nothing_twice(stack):
    raw = make_mail()
    first = deliver(stack, raw, message_id="sesredelivery0001")
    stack.store.put_incoming("sesredelivery0001", raw)  # SES never rewrites, but be harsh
    again = deliver(stack, raw, message_id="sesredelivery0001")
    assert again.outcome == "duplicate" and again.ticket == first.ticket
    assert "already processed" in again.reason
    assert len(stack.tickets.messages(first.ticket)) == 1
    assert stack.keys("incoming/") == []


def test_same_message_id_is_one_message_per_mailbox(stack):
    raw_support = make_mail(message_id="<shared@customer.org>", to="support@example.com, billing@example.com")
    a = deliver(stack, raw_support, recipients=("support@example.com",))
    b = deliver(stack, raw_support, recipients=("support@example.com",))
    c = deliver(stack, raw_support, recipients=("billing@example.com",))
    assert a.outcome == "created" and b.outcome == "duplicate" and b.ticket == a.ticket
    assert "Message-ID <shared@customer.org>" in b.reason
    assert c.outcome == "created" and c.mailbox == "billing" and c.ticket != a.ticket


def test_spam_and_virus_go_to_quarantine_and_create_nothing(stack):
    spam = deliver(stack, make_mail(), spam="FAIL")
    virus = deliver(stack, make_mail(), virus="FAIL")
    assert spam.outcome == virus.outcome == "quarantined" and spam.ticket is None
    assert spam.reason.startswith("spam") and virus.reason.startswith("virus")
    assert stack.keys("quarantine/spam/") == [f"quarantine/spam/{spam.ses_message_id}"]
    assert stack.keys("quarantine/virus/") == [f"quarantine/virus/{virus.ses_message_id}"]
    assert stack.tickets.tickets == {}


def test_oversize_and_empty_input_are_quarantined_with_a_reason(stack):
    stack.ingest.settings = replace(stack.settings, max_message_bytes=1000)
    big = deliver(stack, make_mail(body="x" * 5000))
    stack.ingest.settings = stack.settings
    empty = deliver(stack, b"")
    assert big.outcome == "quarantined" and big.reason.startswith("oversize")
    assert empty.outcome == "quarantined" and "empty" in empty.reason
    assert len(stack.keys("quarantine/oversize/")) == 1 and len(stack.keys("quarantine/unparseable/")) == 1


def test_auto_reply_threads_without_reopening_or_is_suspended_for_review(stack):
    first = deliver(stack, make_mail(message_id="<q1@customer.org>"))
    ooo = make_mail(
        subject="Automatic reply: Printer",
        in_reply_to="<q1@customer.org>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    threaded = deliver(stack, ooo)
    assert (threaded.outcome, threaded.ticket) == ("auto_reply", first.ticket)
    assert "Auto-Submitted" in threaded.reason
    assert stack.tickets.require_ticket(first.ticket).status == "new"
    lonely = deliver(stack, make_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    assert lonely.outcome == "auto_reply" and lonely.ticket is None and "suspended" in lonely.reason
    [suspended] = stack.suspended.list("support")
    assert suspended.ses_message_id == lonely.ses_message_id and suspended.sender == "alice@customer.org"
    assert suspended.archive_key in stack.keys("archive/")


def test_customer_reply_reopens_a_solved_ticket(stack):
    first = deliver(stack, make_mail(message_id="<s1@customer.org>"))
    solved = replace(stack.tickets.require_ticket(first.ticket), status="solved")
    stack.tickets.tickets[first.ticket] = solved
    deliver(stack, make_mail(in_reply_to="<s1@customer.org>"))
    assert stack.tickets.require_ticket(first.ticket).status == "open"


def test_large_body_moves_to_the_store_whole_with_a_pointer(stack):
    body = "line of text\n" * 40_000
    outcome = deliver(stack, make_mail(body=body))
    [message] = stack.tickets.messages(outcome.ticket)
    assert message.body.pointer == f"bodies/{outcome.ticket}/{outcome.ses_message_id}.json"
    assert stack.store.get_body(message.body.pointer)["text"].strip() == body.strip()


def test_html_only_mail_gets_readable_text_and_sanitised_html(stack):
    html = "<html><body><p>Hi <b>there</b></p><script>alert(1)</script><img src=x onerror=alert(2)></body></html>"
    outcome = deliver(stack, make_mail(body="", html=html))
    [message] = stack.tickets.messages(outcome.ticket)
    assert "script" not in message.body.html and "onerror" not in message.body.html
    assert "Hi" in message.body.text


def test_verdicts_come_from_ses_headers_when_there_is_no_notification(stack):
    raw = b"X-SES-Spam-Verdict: FAIL\r\nX-SES-Virus-Verdict: PASS\r\n" + make_mail()
    stack.store.put_incoming("sweptmessage0001", raw)
    received = ReceivedMail(
        ses_message_id="sweptmessage0001",
        bucket=stack.settings.mail_bucket,
        key="incoming/sweptmessage0001",
        received_at="2026-11-27T10:00:00.000Z",
    )
    outcome = stack.ingest.ingest(Delivery(received=received))
    assert outcome.outcome == "quarantined" and outcome.reason.startswith("spam")


def test_staff_can_release_a_suspended_auto_reply_into_a_ticket_or_discard_one(stack):
    """GIVEN two suspended auto-replies WHEN staff release one (twice) and discard the other
    THEN the first is one ticket message, the list is empty and both raw messages are kept."""
    keep = deliver(stack, make_mail(subject="Out of office, but read this", headers={"Precedence": "bulk"}))
    drop = deliver(stack, make_mail(subject="Vacation", headers={"Auto-Submitted": "auto-replied"}))
    suspended = {h.ses_message_id: h.key for h in stack.suspended.list("support")}
    released = stack.suspended.release("support", suspended[keep.ses_message_id])
    assert released.outcome == "created" and released.ticket
    [message] = stack.tickets.messages(released.ticket)
    assert message.subject == "Out of office, but read this" and "released by staff" in message.reason
    stack.suspended.discard("support", suspended[drop.ses_message_id])
    assert stack.suspended.list("support") == []
    assert len(stack.keys("archive/")) == 2  # both raw messages are kept


def test_ses_setup_probe_is_recorded_and_archived_never_a_ticket(stack):
    probe = b"This is a test message from Amazon SES to verify the S3 action.\r\n"
    first = deliver(stack, probe, message_id="AMAZON_SES_SETUP_NOTIFICATION")
    assert (first.outcome, first.ticket) == ("auto_reply", None)
    assert first.reason.startswith("ses_setup_notification")
    assert stack.keys("incoming/") == [] and stack.keys("quarantine/") == []
    assert stack.keys("archive/") == ["archive/2026/11/27/AMAZON_SES_SETUP_NOTIFICATION.eml"]
    again = deliver(stack, probe, message_id="AMAZON_SES_SETUP_NOTIFICATION")
    assert again.outcome == "duplicate" and again.ticket is None
    assert stack.suspended.list("support") == [] and stack.tickets.tickets == {}


def test_a_spoofed_mails_cc_note_is_stored_with_its_code_beside_the_text(stack):
    """GIVEN mail from a sender SES could not authenticate that names a Cc WHEN ingested
    THEN the stored message keeps the note's code (the console says it in German) beside
    the English reason, and the Cc is not added."""
    outcome = deliver(stack, make_mail(cc="carol@customer.org"), dmarc="GRAY", spf="FAIL", dkim="FAIL")
    [message] = stack.tickets.messages(outcome.ticket)
    assert [(n.code, n.values) for n in message.notes] == [("participants_unauthenticated", ())]
    assert message.reason == "Cc, To and Reply-To not added: the sender is not authenticated"
    assert "carol@customer.org" not in stack.tickets.require_ticket(outcome.ticket).participants


def test_a_mail_kept_off_the_ticket_it_names_stores_why_by_code_on_message_and_ticket(stack):
    """GIVEN a stranger's mail naming Alice's ticket in its subject WHEN ingested THEN the
    new ticket's related reason and the message's notes keep the note's code and values
    (the console says them in German), the English text beside them."""
    first = deliver(stack, make_mail())
    outcome = deliver(stack, make_mail(subject=f"Re: [{first.ticket}] x", sender="eve@else.org"))
    ticket = stack.tickets.require_ticket(outcome.ticket)
    coded = [(n.code, dict(n.values)) for n in ticket.related_notes]
    assert coded == [("subject_not_participant", {"ticket": first.ticket, "sender": "eve@else.org"})]
    assert ticket.related_reason == f"subject tag names {first.ticket}, but eve@else.org is not a participant"
    [message] = stack.tickets.messages(outcome.ticket)
    assert message.notes == ticket.related_notes and message.reason == ticket.related_reason


def test_a_suspended_mails_reason_and_its_release_note_are_stored_with_their_codes(stack):
    """GIVEN a newsletter that threads nowhere WHEN it is suspended, then released by staff
    THEN the suspended record keeps the reason's code (mailing_list, the header named) and
    the filed message the release's code, beside the English text."""
    lonely = deliver(stack, make_mail(subject="News", headers={"List-Id": "News <news.example.org>"}))
    [suspended] = stack.suspended.list("support")
    assert [(n.code, dict(n.values)) for n in suspended.notes] == [("mailing_list", {"header": "List-Id"})]
    assert suspended.reason == "List-Id present (mailing list)" and lonely.ticket is None
    released = stack.suspended.release("support", suspended.key)
    [message] = stack.tickets.messages(str(released.ticket))
    assert [n.code for n in message.notes] == ["released"]
    assert message.reason == "released by staff from the suspended list"
