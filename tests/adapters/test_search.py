"""Ticket search and customer history against moto: the index is written with the
ticket, queries are Queries (never a Scan), terms intersect, filters and pages hold."""

from __future__ import annotations

import random

import pytest

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_search
from chalicelib.domain.search_terms import SearchQuery
from chalicelib.domain.tickets import Ticket, ticket_id_for
from chalicelib.errors import InvalidRequest
from chalicelib.wiring import build_services
from tests.support.deliver import deliver
from tests.support.desk_helpers import WORDS_FOR_ANNAS_TICKET, annas_ticket_and_another, new_ticket
from tests.support.mail_factory import make_mail
from tests.support.request_counts import counted_session

ANN, BOB = "ann@example.com", "bob@example.com"
ANNA = "Anna Berg <anna.berg@kunde.de>"


@pytest.fixture
def recorded(stack):
    session, operations = counted_session("dynamodb")
    return build_services(stack.settings, session), operations


def found(page) -> list[str]:
    return [t.id for t in page.tickets]


def search(svc, text: str, **filters) -> list[str]:
    return found(svc.search.search(ANN, text, **filters))


def test_a_new_ticket_is_found_by_id_address_domain_words_and_file_name(stack, recorded):
    svc, operations = recorded
    ticket = annas_ticket_and_another(stack)
    operations.take()
    for query in (ticket, *WORDS_FOR_ANNAS_TICKET):
        assert search(svc, query) == [ticket], query
    assert "dynamodb.Scan" not in operations.take()


def test_a_reply_adds_its_words_to_its_ticket_once(stack, recorded):
    svc, _ = recorded
    first_id = "<first@kunde.de>"
    ticket = new_ticket(stack, "Printer", sender=ANNA, body="It is broken", message_id=first_id)
    outcome = deliver(
        stack,
        make_mail(
            subject=f"Re: [{ticket}] Printer",
            sender=ANNA,
            body="Now the toner leaks too",
            in_reply_to=first_id,
            references=first_id,
        ),
    )
    assert (outcome.outcome, outcome.ticket) == ("threaded", ticket)
    assert search(svc, "toner") == [ticket]
    assert search(svc, "printer broken") == [ticket]


def test_several_terms_intersect_newest_first(stack, recorded):
    svc, operations = recorded
    both_old = new_ticket(stack, "refund invoice", sender="a@one.org")
    new_ticket(stack, "refund only", sender="b@two.org")
    new_ticket(stack, "invoice only", sender="c@three.org")
    both_new = new_ticket(stack, "invoice and refund", sender="d@four.org")
    operations.take()
    assert search(svc, "refund invoice") == [both_new, both_old]
    assert search(svc, "refund") == [both_new, "T-1002", both_old]
    assert search(svc, "refund nothing") == []
    seen = operations.take()
    assert set(seen) == {"dynamodb.Query", "dynamodb.BatchGetItem"}


def test_a_rare_term_beside_a_common_one_reads_few_index_pages(stack, recorded):
    """Leapfrogging: the common term's partition is entered where the rare one points, not
    read through (30 tickets in pages of 5 would be 7 Queries)."""
    svc, operations = recorded
    rare = new_ticket(stack, "common rare")
    for n in range(30):
        new_ticket(stack, f"common {n}")
    index = dynamodb_search.DynamoDBSearch(svc.search.index._db, stack.settings.tickets_table, term_page=5)
    operations.take()
    tickets, cursor = index.search(SearchQuery(("rare", "common")), limit=10)
    assert ([t.id for t in tickets], cursor) == ([rare], None)
    assert operations.take() == {"dynamodb.Query": 3, "dynamodb.BatchGetItem": 1}


def test_filters_by_mailbox_status_and_assignee(stack, recorded):
    svc, _ = recorded
    support = new_ticket(stack, "refund please")
    billing_out = deliver(
        stack, make_mail(subject="refund please", to="billing@example.com"), ("billing@example.com",)
    )
    billing = billing_out.ticket
    mine = new_ticket(stack, "refund please")
    svc.desk.update(mine, ANN, assignee="me", status="pending")
    assert search(svc, "refund") == [mine, billing, support]
    assert search(svc, "refund", mailbox="billing") == [billing]
    assert search(svc, "refund", statuses=["pending"]) == [mine]
    assert search(svc, "refund", assignee="me") == [mine]
    assert search(svc, "refund", assignee="none") == [billing, support]
    with pytest.raises(InvalidRequest):
        svc.search.search(ANN, "refund", statuses=["lost"])
    with pytest.raises(InvalidRequest):
        svc.search.search(ANN, "the and")


def test_pages_follow_each_other_without_gaps_or_repeats(stack, recorded):
    svc, _ = recorded
    made = [new_ticket(stack, f"printer {n}") for n in range(7)]
    seen, cursor = [], None
    while True:
        page = svc.search.search(ANN, "printer", limit=3, cursor=cursor)
        assert len(page.tickets) <= 3
        seen += found(page)
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == made[::-1]
    with pytest.raises(InvalidRequest):
        svc.search.search(ANN, "printer", cursor="not-a-cursor")


def test_customer_history_is_the_requesters_other_tickets_in_every_mailbox(stack, recorded):
    svc, operations = recorded
    first = new_ticket(stack, "one", sender=ANNA)
    new_ticket(stack, "someone else", sender="carl@other.org")
    billing = deliver(
        stack, make_mail(subject="two", sender=ANNA, to="billing@example.com"), ("billing@example.com",)
    )
    latest = new_ticket(stack, "three", sender="ANNA.BERG@kunde.de")
    operations.take()
    history = svc.search.history(latest)
    assert found(history) == [billing.ticket, first]
    assert operations.take() == {"dynamodb.GetItem": 1, "dynamodb.Query": 1}
    assert found(svc.search.history(first)) == [latest, billing.ticket]


def test_reindex_builds_the_index_of_tickets_filed_before_it(stack, recorded):
    """GIVEN tickets whose index items are gone (as before search existed) WHEN reindexed
    THEN they are found again, by words and as history; without a Scan."""
    svc, operations = recorded
    old = new_ticket(stack, "Kaffeemaschine kaputt", sender=ANNA)
    newer = new_ticket(stack, "Kaffeemaschine again", sender=ANNA)
    db = stack.client("dynamodb")
    table = stack.settings.tickets_table
    for page in db.get_paginator("scan").paginate(TableName=table):  # the test's own look
        for item in page["Items"]:
            if item["pk"]["S"].startswith("TERM#"):
                db.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
            elif "gsi3pk" in item:
                db.update_item(
                    TableName=table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="REMOVE gsi3pk, gsi3sk",
                )
    assert search(svc, "kaffeemaschine") == [] and found(svc.search.history(newer)) == []
    operations.take()
    done = svc.search.reindex()
    assert done.tickets == 2 and done.terms > 4
    assert "dynamodb.Scan" not in operations.take()
    assert search(svc, "kaffeemaschine") == [newer, old]
    assert search(svc, old) == [old]
    assert found(svc.search.history(newer)) == [old]


def test_a_split_ticket_is_found_by_its_id_and_its_message_at_once(stack, recorded):
    svc, _ = recorded
    first_id = "<first@kunde.de>"
    source = new_ticket(stack, "Printer", sender=ANNA, body="It is broken", message_id=first_id)
    deliver(
        stack,
        make_mail(
            subject="Re: Printer", sender=ANNA, body="Another topic: Lieferschein", in_reply_to=first_id
        ),
    )
    key = next(m.key for m in stack.tickets.messages(source) if "Lieferschein" in m.body.text)
    split = svc.desk.split(source, ANN, key)
    assert search(svc, split.id) == [split.id]
    assert search(svc, "lieferschein") == [split.id, source]  # the source keeps its older terms


def test_two_common_terms_read_their_partitions_in_growing_pages(stack, recorded):
    """GIVEN 600 tickets, one word in about half of them and another in about a tenth (a page
    of 5 index keys stands for DynamoDB's 100) WHEN both are searched THEN the common word's
    partition is not entered again at every few candidates: each Query of a partition reads
    twice the keys of the one before (up to MAX_TERM_PAGE), so a page costs a few Queries."""
    svc, operations = recorded
    db, table = svc.search.index._db, stack.settings.tickets_table
    rng = random.Random(7)
    tickets = [
        Ticket(
            ticket_id_for(n), "support", f"ticket {n}", f"c{n}@example.org", created_at=f"2026-01-01T{n:08d}"
        )
        for n in range(1, 601)
    ]
    both = []
    for ticket in tickets:
        words = [w for w, share in (("alpha", 0.5), ("beta", 0.1)) if rng.random() < share]
        dynamodb_search.write_terms(db, table, ticket.id, ticket.created_at, words)
        db.put_item(TableName=table, Item=items.ticket_item(ticket))
        both += [ticket.id] if len(words) == 2 else []
    index = dynamodb_search.DynamoDBSearch(db, table, term_page=5)
    operations.take()

    found_ids, cursor = index.search(SearchQuery(("alpha", "beta")), limit=10)

    assert found_ids and [t.id for t in found_ids] == both[::-1][:10] and cursor
    queries = operations.take()["dynamodb.Query"]
    assert queries <= 8, f"{queries} Queries for a page of two common words"
