"""Request budgets that other parts rely on (bench/RESULTS.md, capacity planning): exact
AWS requests per ingested mail, DynamoDB requests per feedback notification and per
queue page, claim and ticket read.

Counts are deterministic, so they are asserted exactly; each test also checks what the
requests achieved.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.sla import SlaTarget
from chalicelib.services.notifications import decode
from chalicelib.wiring import build_services
from tests.support.deliver import notification_for
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail, without_message_id
from tests.support.request_counts import counted_session
from tests.support.ses_feedback import bounce_note, send_note

ANN = "ann@example.com"


@pytest.fixture
def counted(stack):
    """The stack's services on a session whose requests are counted (hook before any client)."""
    session, requests = counted_session()
    return build_services(stack.settings, session), requests


def recipients(n: int, tag: str = "r") -> list[str]:
    return [f"{tag}{i}@customer.org" for i in range(n)]


# -- ingest: a new ticket is six requests and one per stored file --------------------
NEW_TICKET = {
    "s3.GetObject": 1,  # the raw mail; its size comes with it
    "dynamodb.BatchGetItem": 1,  # delivery record, ticket counter, Message-ID index
    # ticket, message, its search terms, Message-ID index, delivery record, counter: at most
    # 55 items (50 terms, domain/search_terms.py) of the 100 a transaction may hold
    "dynamodb.TransactWriteItems": 1,
    "s3.CopyObject": 1,  # incoming/ to archive/ ...
    "s3.DeleteObject": 1,  # ... a move
    "sns.Publish": 1,  # ticket.created
}


def ingest(stack, svc, raw: bytes, recipients=("support@example.com",), **verdicts):
    note = notification_for(stack, raw, recipients, **verdicts)
    return svc.ingest.ingest(decode(note, stack.settings.mail_bucket))


def test_a_new_ticket_costs_six_requests_and_one_per_stored_file(stack, counted):
    svc, requests = counted
    plain = ingest(stack, svc, make_mail(references="<unknown@elsewhere.example>"))
    assert requests.take() == NEW_TICKET
    files = (("a.pdf", "application/pdf", b"%PDF-1.4 a"), ("b.png", "image/png", b"\x89PNG b"))
    with_files = ingest(stack, svc, make_mail(subject="Two files", attachments=files))
    assert requests.take() == {**NEW_TICKET, "s3.PutObject": 2}
    assert (plain.outcome, with_files.outcome) == ("created", "created")
    assert [plain.ticket, with_files.ticket] == ["T-1001", "T-1002"]
    assert len(stack.tickets.messages(with_files.ticket)[0].attachments) == 2
    # The search terms rode in the ticket's transaction: found by subject and file name.
    assert [t.id for t in svc.search.search(ANN, "files b.png").tickets] == ["T-1002"]


def test_a_reply_that_threads_costs_one_more_read_for_the_ticket_it_joins(stack, counted):
    svc, requests = counted
    first = ingest(stack, svc, make_mail(message_id="<first@customer.org>"))
    requests.take()
    reply = ingest(stack, svc, make_mail(subject="Re: Printer", in_reply_to="<first@customer.org>"))
    assert requests.take() == {**NEW_TICKET, "dynamodb.BatchGetItem": 2}
    assert (reply.outcome, reply.ticket, reply.thread_signal) == ("threaded", first.ticket, "references")


def test_a_redelivered_mail_is_recognised_by_the_same_read_and_only_archived(stack, counted):
    svc, requests = counted
    note = notification_for(stack, make_mail())
    first = svc.ingest.ingest(decode(note, stack.settings.mail_bucket))
    stack.store.put_incoming(first.ses_message_id, make_mail())  # as if the archive move had failed
    requests.take()
    again = svc.ingest.ingest(decode(note, stack.settings.mail_bucket))
    assert requests.take() == {
        "s3.GetObject": 1,
        "dynamodb.BatchGetItem": 1,
        "s3.CopyObject": 1,
        "s3.DeleteObject": 1,
    }
    assert (again.outcome, again.ticket) == ("duplicate", first.ticket)
    assert stack.keys("incoming/") == []


def test_a_mail_without_message_id_costs_one_conditional_put_more_and_its_copy_is_found_by_it(stack, counted):
    """RFC 5322 makes the Message-ID optional: such a mail claims its content instead
    (domain/message_claims.content_claim), one PutItem; the copy a sender's retry hands SES
    is refused by that put and reads the first delivery's ticket (GetItem)."""
    svc, requests = counted
    raw = without_message_id(make_mail(subject="No Message-ID"))
    first = ingest(stack, svc, raw)
    assert requests.take() == {**NEW_TICKET, "dynamodb.PutItem": 1}
    again = ingest(stack, svc, raw)
    assert requests.take() == {
        "s3.GetObject": 1,
        "dynamodb.BatchGetItem": 1,
        "dynamodb.PutItem": 1,  # the claim, refused: it names the first delivery
        "dynamodb.GetItem": 1,  # that delivery's ticket
        "dynamodb.TransactWriteItems": 1,  # the duplicate's record
        "s3.CopyObject": 1,
        "s3.DeleteObject": 1,
    }
    assert (first.outcome, again.outcome, again.ticket) == ("created", "duplicate", first.ticket)


QUARANTINED = {
    "s3.GetObject": 1,
    "dynamodb.PutItem": 1,  # its claim (domain/message_claims.quarantine_claim): a copy is a duplicate
    "dynamodb.TransactWriteItems": 1,  # the delivery record
    "s3.CopyObject": 1,  # incoming/ to quarantine/<reason>/ (a copy: to archive/) ...
    "s3.DeleteObject": 1,  # ... a move
}


def test_a_quarantined_mail_costs_five_requests_and_so_does_its_copy(stack, counted):
    svc, requests = counted
    spam = make_mail(subject="WIN", message_id="<win@spam.test>")
    first = ingest(stack, svc, spam, spam="FAIL")
    assert requests.take() == QUARANTINED
    again = ingest(stack, svc, spam, spam="FAIL")
    assert requests.take() == QUARANTINED
    assert (first.outcome, again.outcome) == ("quarantined", "duplicate")
    assert stack.keys("quarantine/") == [f"quarantine/spam/{first.ses_message_id}"]


def test_acknowledging_an_unauthenticated_sender_costs_what_an_authenticated_one_does(stack):
    """The domain cap is counted in the same write as the recipient's (one transaction of two
    conditional updates instead of one update), and the sent message's record rides in the
    send's transaction: so the acknowledgement's requests are the same for both senders."""
    session, requests = counted_session()
    svc = build_services(replace(stack.settings, acknowledge_new_tickets=True), session)
    ingest(stack, svc, make_mail(sender="first@customer.org"))  # clients and caches warm
    requests.take()
    ingest(stack, svc, make_mail(sender="real@customer.org"))
    authenticated = requests.take()
    ingest(stack, svc, make_mail(sender="spoof@customer.org"), dmarc="FAIL")
    unauthenticated = requests.take()
    assert authenticated["ses.SendRawEmail"] == unauthenticated["ses.SendRawEmail"] == 1
    assert sum(unauthenticated.values()) == sum(authenticated.values())
    assert writes(unauthenticated) == writes(authenticated)
    assert unauthenticated["dynamodb.TransactWriteItems"] == authenticated["dynamodb.TransactWriteItems"] + 1


# -- feedback: at most one write request per recipient, batched -----------------------
@pytest.mark.parametrize(
    ("size", "transactions"),
    [
        (1, 1),
        (2, 1),
        (49, 1),
        (50, 2),
    ],  # 2 items per bounced recipient + the day's counter, 100 a transaction
)
def test_a_permanent_bounce_costs_one_transaction_per_49_recipients(counted, size, transactions):
    svc, requests = counted
    summary = svc.feedback.record(bounce_note(*recipients(size)))
    assert requests.take() == {"dynamodb.TransactWriteItems": transactions}
    assert summary.applied == size and len(svc.suppression.list()) == size


def test_deliveries_to_99_recipients_are_one_transaction(counted):
    svc, requests = counted
    summary = svc.feedback.record(send_note("m-99", *recipients(99)))
    assert requests.take() == {"dynamodb.TransactWriteItems": 1}
    assert summary.applied == 99 and svc.suppression.reputation()["days"][0]["sends"] == 99


def test_a_redelivered_notification_costs_one_cancelled_transaction_and_changes_nothing(counted):
    svc, requests = counted
    svc.feedback.record(bounce_note(*recipients(3)))
    requests.take()
    assert svc.feedback.record(bounce_note(*recipients(3))).applied == 0
    assert requests.take() == {"dynamodb.TransactWriteItems": 1}
    assert svc.suppression.reputation()["days"][0]["bounces"] == 3


def test_an_account_list_refusal_is_written_in_its_transaction(counted):
    svc, requests = counted
    summary = svc.feedback.record(bounce_note(*recipients(3, "acct"), subtype="OnAccountSuppressionList"))
    assert requests.take() == {"dynamodb.TransactWriteItems": 1}
    assert summary.suppressed == tuple(recipients(3, "acct"))
    assert {e.reason for e in svc.suppression.list()} == {"ACCOUNT_SUPPRESSED"}


def test_an_account_list_refusal_never_replaces_a_permanent_entry(counted):
    """The conditional entry fails the transaction once; it is repeated without that entry."""
    svc, requests = counted
    svc.feedback.record(bounce_note("gone@customer.org", feedback_id="hard"))
    requests.take()
    summary = svc.feedback.record(
        bounce_note(
            "gone@customer.org", "new@customer.org", subtype="OnAccountSuppressionList", feedback_id="acct"
        )
    )
    assert requests.take() == {"dynamodb.TransactWriteItems": 2}
    assert (summary.applied, summary.suppressed) == (2, ("new@customer.org",))
    entries = {e.address: (e.reason, bool(e.expires_at)) for e in svc.suppression.list()}
    assert entries == {
        "gone@customer.org": ("BOUNCE", False),
        "new@customer.org": ("ACCOUNT_SUPPRESSED", True),
    }
    assert svc.suppression.reputation()["days"][0]["account_suppressed"] == 2


SOFT = {"bounce_type": "Transient", "subtype": "MailboxFull"}
SOFT_BOUNCE = {"dynamodb.BatchGetItem": 1, "dynamodb.TransactWriteItems": 1}
WRITES = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")


def writes(calls: dict[str, int]) -> int:
    return sum(n for op, n in calls.items() if op.split(".")[1] in WRITES)


def test_a_soft_bounce_is_one_read_and_one_transaction_which_writes_the_entry_at_the_limit(counted):
    """The count is read before the transaction (with the address's entry) and written back
    in it, conditioned on the version read: the one at the limit costs no extra write."""
    svc, requests = counted
    for n in range(svc.settings.soft_bounce_limit - 1):
        below = svc.feedback.record(bounce_note("full@customer.org", feedback_id=f"s{n}", **SOFT))
        assert requests.take() == SOFT_BOUNCE and below.suppressed == ()
    assert svc.suppression.list() == []
    requests.take()
    summary = svc.feedback.record(bounce_note("full@customer.org", feedback_id="last", **SOFT))
    calls = requests.take()
    assert calls == SOFT_BOUNCE and writes(calls) == 1
    assert summary.suppressed == ("full@customer.org",)
    [entry] = svc.suppression.list()
    assert (entry.reason, entry.note) == ("SOFT_BOUNCE", "3 soft bounces or delays within 72 hours")
    requests.take()
    # Redelivered: the same read, the transaction refused by its marker, nothing changes.
    assert svc.feedback.record(bounce_note("full@customer.org", feedback_id="last", **SOFT)).applied == 0
    assert requests.take() == SOFT_BOUNCE
    assert svc.suppression.reputation()["days"][0]["soft_bounces"] == 3


@pytest.mark.parametrize(
    ("size", "transactions"),
    [(1, 1), (10, 1), (49, 1), (50, 2)],  # a marker and the address's item each + the counter
)
def test_soft_bounces_of_many_recipients_are_one_read_and_one_transaction_per_49(counted, size, transactions):
    svc, requests = counted
    summary = svc.feedback.record(bounce_note(*recipients(size, "soft"), feedback_id="first", **SOFT))
    calls = requests.take()
    assert calls == {"dynamodb.BatchGetItem": 1, "dynamodb.TransactWriteItems": transactions}
    assert writes(calls) <= size and summary.applied == size
    assert svc.suppression.reputation()["days"][0]["soft_bounces"] == size


def test_ten_recipients_reaching_the_limit_together_are_one_read_and_one_transaction(counted):
    svc, requests = counted
    addresses = recipients(10, "full")
    for n in range(svc.settings.soft_bounce_limit - 1):
        svc.feedback.record(bounce_note(*addresses, feedback_id=f"s{n}", **SOFT))
    requests.take()
    summary = svc.feedback.record(bounce_note(*addresses, feedback_id="last", **SOFT))
    assert requests.take() == SOFT_BOUNCE
    assert summary.suppressed == tuple(addresses)
    assert {(e.address, e.reason) for e in svc.suppression.list()} == {(a, "SOFT_BOUNCE") for a in addresses}


def test_a_soft_bounce_at_the_limit_of_a_permanently_suppressed_address_writes_no_entry(counted):
    """The read finds the permanent entry, so the transaction leaves it alone (no refused retry)."""
    svc, requests = counted
    svc.feedback.record(bounce_note("gone@customer.org", feedback_id="hard"))
    for n in range(svc.settings.soft_bounce_limit - 1):
        svc.feedback.record(bounce_note("gone@customer.org", feedback_id=f"s{n}", **SOFT))
    requests.take()
    summary = svc.feedback.record(bounce_note("gone@customer.org", feedback_id="last", **SOFT))
    assert requests.take() == SOFT_BOUNCE
    assert summary.suppressed == ()
    [entry] = svc.suppression.list()
    assert (entry.reason, entry.expires_at) == ("BOUNCE", 0)


# -- the queue: one Query per page, two requests per claim -----------------------------
@pytest.fixture
def desk_with_tickets(stack, counted):
    """Five tickets in the support mailbox: three new, one open and unassigned, one pending."""
    svc, requests = counted
    made = [new_ticket(stack, f"ticket {n}") for n in range(5)]
    svc.desk.update(made[3], ANN, status="open")
    svc.desk.update(made[4], ANN, status="pending")
    requests.take()
    return svc.desk, requests, made


def test_a_queue_page_of_new_and_open_tickets_is_one_query_from_the_start_or_a_cursor(desk_with_tickets):
    desk, requests, made = desk_with_tickets
    first = desk.queue(ANN, limit=2)
    assert requests.take() == {"dynamodb.Query": 1}
    second = desk.queue(ANN, limit=2, cursor=first.cursor)
    assert requests.take() == {"dynamodb.Query": 1}
    assert [t.id for t in first.tickets + second.tickets] == made[:4]


def test_claiming_the_next_ticket_is_one_query_and_one_conditional_transaction(desk_with_tickets):
    """The claim and its audit line ('assigned to ann') are one transaction."""
    desk, requests, made = desk_with_tickets
    claimed = desk.claim_next(ANN)
    calls = requests.take()
    assert {op: n for op, n in calls.items() if op.startswith("dynamodb.")} == {
        "dynamodb.Query": 1,
        "dynamodb.TransactWriteItems": 1,
    }
    assert calls.get("sns.Publish") == 2, "ticket.status_changed and ticket.assigned, after the write"
    assert (claimed.id, claimed.assignee, claimed.status) == (made[0], ANN, "open")


def test_reading_one_ticket_is_one_get_and_one_query_of_its_messages(desk_with_tickets):
    desk, requests, made = desk_with_tickets
    detail = desk.show(made[0])
    assert requests.take() == {"dynamodb.GetItem": 1, "dynamodb.Query": 1}
    assert detail.ticket.id == made[0] and len(detail.messages) == 1


# -- a changed SLA target: a page of the backlog is one read, its queries and a write each ---
def test_a_page_of_the_backlog_moved_to_a_new_target_reads_the_target_two_lanes_and_writes_what_moved(
    desk_with_tickets, counted
):
    desk, requests, made = desk_with_tickets
    svc, _ = counted
    desk.update(made[2], ANN, priority="low")  # another priority: read, not written
    svc.sla_settings.set_target("support", "normal", SlaTarget(45, 600))
    requests.take()
    page = svc.sla_backlog.page("support", "normal", size=10)
    assert requests.take() == {
        "dynamodb.GetItem": 1,  # the targets
        "dynamodb.Query": 2,  # the queue's lanes: new and open, pending
        "dynamodb.UpdateItem": 5,  # one conditional write per ticket whose due times moved,
        # and the mailbox's change counter once (open consoles read their queue again)
    }
    assert (page.read, page.updated, page.cursor) == (5, 4, None)
    again = svc.sla_backlog.page("support", "normal", size=10)
    assert requests.take() == {"dynamodb.GetItem": 1, "dynamodb.Query": 2}, "nothing to write twice"
    assert again.updated == 0


def test_a_suppressed_recipient_is_refused_on_its_one_read(stack, counted):
    """The guard stops at the first refusal: a suppressed address costs the suppression list's
    read alone, not SES's account-level list, the sandbox, the reputation Query and today's
    automatic replies that an address it lets through costs."""
    svc, requests = counted
    svc.suppression.import_list("gone@customer.org\n", ANN)
    requests.take()
    refused = svc.outbound.check("gone@customer.org", automatic=True)
    assert requests.take() == {"dynamodb.GetItem": 1}
    assert (refused.allowed, refused.reason) == (False, "suppressed")
    allowed = svc.outbound.check("here@customer.org", automatic=True)
    assert allowed.allowed
    assert requests.take() == {
        "dynamodb.GetItem": 2,  # the suppression list, today's automatic replies
        "sesv2.GetSuppressedDestination": 1,  # SES's account-level list
        "sesv2.GetAccount": 1,  # the sandbox
        "cloudwatch.GetMetricData": 1,  # the account's reputation rates
        "dynamodb.Query": 1,  # our own counters of 30 days
    }


# -- the console's sign-in: the reply secrets once per container, not per sign-in -----------
def test_sign_ins_read_the_reply_secrets_once_per_container(counted):
    """The device cookie is an HMAC under the reply secrets (SSM): a container reads them once
    (current and previous, two GetParameter) and keeps them five minutes, so a morning of
    sign-ins costs SSM nothing more and only the attempt counters (an ADD, and one to take
    it back) move per sign-in."""
    svc, requests = counted
    guard = svc.sign_in_guard
    cookie = "inbound_device=" + guard.signed_in(guard.attempt(ANN, "198.51.100.7"))
    assert requests.take() == {"ssm.GetParameter": 2, "dynamodb.UpdateItem": 4}  # client and address
    for _ in range(20):
        assert guard.signed_in(guard.attempt(ANN, "198.51.100.7", cookie))
    assert requests.take() == {"dynamodb.UpdateItem": 40}  # the browser's counter alone


def test_a_flood_of_wrong_guesses_reads_the_reply_secrets_once_per_container_at_most(counted):
    """Could a flood of sign-ins throttle SSM, and so take the device cookie's relief away
    (SECURITY.md, the outage)? A guess without a cookie never reads the secrets; one with any
    cookie reads them once per container, like the agent's own sign-in."""
    svc, requests = counted
    guard = svc.sign_in_guard
    for n in range(5):
        guard.attempt(f"guess{n}@example.com", "203.0.113.9")
    assert requests.take() == {"dynamodb.UpdateItem": 10}  # client and address, no SSM
    for n in range(5):
        guard.attempt(f"guess{n}@example.com", "203.0.113.9", "inbound_device=forged")
    assert requests.take() == {"ssm.GetParameter": 2, "dynamodb.UpdateItem": 10}
