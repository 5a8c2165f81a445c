"""Ticket numbers: spent only by the commit that uses them, never shared, never skipped.

A new ticket's number is the counter as ingest read it, plus one; the commit moves
the counter only if it still holds what was read (chalicelib/adapters/dynamodb_tickets.py).
These tests make the races happen on purpose: a second delivery commits inside
the first one's window, from a botocore hook on the first one's session, just
before its TransactWriteItems goes out.
"""

from __future__ import annotations

import boto3
import pytest

from chalicelib.services import ticket_filing
from chalicelib.services.notifications import decode
from chalicelib.wiring import build_services
from tests.support.deliver import deliver, notification_for
from tests.support.fault_injection import CommitFirst
from tests.support.mail_factory import make_mail

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4


@pytest.fixture
def racing(stack):
    """The stack's services on a second session, and a way to commit others' mail inside its window."""
    session = boto3.session.Session(region_name="us-east-1")

    def race(*raws: bytes):
        # Before any client of the session: clients copy the hooks they find.
        other = CommitFirst(session, lambda raw: deliver(stack, raw), list(raws))
        return build_services(stack.settings, session), other

    return race


def ingest(stack, services, raw: bytes):
    note = notification_for(stack, raw)
    return services.ingest.ingest(decode(note, stack.settings.mail_bucket))


def test_a_number_taken_by_a_parallel_commit_moves_this_ticket_and_its_files_to_the_next(stack, racing):
    # GIVEN a mail with a file whose delivery read the counter, and another mail committing first
    services, other = racing(make_mail(subject="Other customer"))
    mine = ingest(stack, services, make_mail(attachments=(("invoice.pdf", "application/pdf", PDF),)))
    # THEN the other mail has the number both read, and this one the next: no gap, no sharing
    [theirs] = other.done
    assert (theirs.ticket, mine.ticket) == ("T-1001", "T-1002")
    assert stack.tickets.ticket_counter() == 2
    assert stack.tickets.get_ticket("T-1001").subject == "Other customer"
    assert stack.tickets.get_ticket("T-1002").subject == "Printer on fire"
    # AND this ticket's file is stored under its own number and listed there, byte-exact
    [message] = stack.tickets.messages("T-1002")
    [stored] = message.attachments
    assert stored.key == f"attachments/T-1002/{mine.ses_message_id}/1-invoice.pdf"
    s3 = stack.client("s3")
    assert s3.get_object(Bucket=stack.settings.mail_bucket, Key=stored.key)["Body"].read() == PDF
    assert stack.tickets.messages("T-1001")[0].attachments == ()


def test_a_ticket_holding_the_next_number_while_the_counter_is_behind_is_stepped_over(stack):
    # GIVEN ticket T-1001 stored while the counter still reads 0 (restored from a backup, say)
    first = deliver(stack, make_mail(subject="Restored"))
    db = stack.client("dynamodb")
    db.delete_item(
        TableName=stack.settings.tickets_table, Key={"pk": {"S": "COUNTER"}, "sk": {"S": "TICKET"}}
    )
    # WHEN a new mail arrives THEN it takes the number after the stored ticket, not its number
    second = deliver(stack, make_mail(subject="New"))
    assert (first.ticket, second.ticket) == ("T-1001", "T-1002")
    assert stack.tickets.get_ticket("T-1001").subject == "Restored"
    assert stack.tickets.ticket_counter() == 2


def test_a_delivery_that_keeps_losing_the_race_fails_for_the_queue_to_retry_and_loses_nothing(stack, racing):
    # GIVEN more parallel commits than a delivery retries its number for
    others = [make_mail(subject=f"Other {n}") for n in range(ticket_filing.MAX_NUMBER_ATTEMPTS)]
    services, other = racing(*others)
    note = notification_for(stack, make_mail(subject="Mine"))
    # WHEN it is ingested THEN it fails, and its raw mail waits in incoming/ for the retry
    with pytest.raises(Exception, match="no free ticket number"):
        services.ingest.ingest(decode(note, stack.settings.mail_bucket))
    assert len(stack.keys("incoming/")) == 1
    # AND the retry (the queue's redelivery) files it under the next free number
    retried = services.ingest.ingest(decode(note, stack.settings.mail_bucket))
    assert retried.ticket == f"T-{1001 + len(others)}"
    assert sorted(o.ticket for o in other.done) == [f"T-{1001 + n}" for n in range(len(others))]
    assert stack.keys("incoming/") == []
