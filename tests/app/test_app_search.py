"""Search and customer history through the staff API: the queue's page shape, newest first."""

from __future__ import annotations

import urllib.parse

from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail

ANNA = "Anna Berg <anna.berg@kunde.de>"


def ids(response) -> list[str]:
    return [t["id"] for t in response.json_body["tickets"]]


def q(text: str, **params: str) -> str:
    return "/api/tickets?" + urllib.parse.urlencode({"q": text, **params})


def test_search_answers_with_the_queue_page_shape_newest_first_and_pages(api):
    older = new_ticket(api.stack, "Lieferung fehlt", sender=ANNA, body="Die Lieferung ist nicht gekommen")
    newer = new_ticket(api.stack, "配送について", sender=ANNA, body="荷物がまだ届いていません")
    new_ticket(api.stack, "unrelated", sender="carl@other.org")
    by_address = api.get(q("anna.berg@kunde.de"))
    assert by_address.status_code == 200
    assert ids(by_address) == [newer, older]
    listed = api.get("/api/tickets").json_body["tickets"][0]
    assert set(by_address.json_body["tickets"][0]) == set(listed)  # the queue's ticket shape
    assert ids(api.get(q("届いて"))) == [newer]
    assert ids(api.get(q("lieferung @kunde.de"))) == [older]
    assert ids(api.get(q(newer))) == [newer]
    first = api.get(q("kunde.de", limit="1")).json_body
    assert len(first["tickets"]) == 1 and first["cursor"]
    second = api.get(q("kunde.de", limit="1", cursor=first["cursor"])).json_body
    assert [t["id"] for t in second["tickets"]] == [older] and second["cursor"] is None


def test_search_filters_by_mailbox_status_and_assignee(api):
    support = new_ticket(api.stack, "refund")
    billing = deliver(
        api.stack, make_mail(subject="refund", to="billing@example.com"), ("billing@example.com",)
    )
    assert api.patch(f"/api/tickets/{support}", {"assignee": "me", "status": "pending"}).status_code == 200
    assert ids(api.get(q("refund", mailbox="billing"))) == [billing.ticket]
    assert ids(api.get(q("refund", status="pending"))) == [support]
    assert ids(api.get(q("refund", assignee="me"))) == [support]
    assert ids(api.get(q("refund", status="new,open"))) == [billing.ticket]


def test_a_search_with_nothing_searchable_or_a_bad_filter_is_a_400(api):
    for path in (q(""), q("the"), q("refund", status="lost"), q("refund", cursor="x"), q("a" * 600)):
        response = api.get(path)
        assert response.status_code == 400, path
        assert response.json_body["error"] == "invalid_request"


def test_history_lists_the_requesters_other_tickets_across_mailboxes(api):
    first = new_ticket(api.stack, "one", sender=ANNA)
    billing = deliver(
        api.stack, make_mail(subject="two", sender=ANNA, to="billing@example.com"), ("billing@example.com",)
    )
    new_ticket(api.stack, "not hers", sender="carl@other.org")
    latest = new_ticket(api.stack, "three", sender=ANNA)
    history = api.get(f"/api/tickets/{latest}/history")
    assert history.status_code == 200
    assert ids(history) == [billing.ticket, first]
    assert history.json_body["tickets"][0]["mailbox"] == "billing"
    assert api.get("/api/tickets/T-9999/history").status_code == 404


def test_a_merged_ticket_is_found_with_the_ticket_it_was_merged_into(api):
    """GIVEN a customer's second ticket merged into her first WHEN an agent searches a word of
    the second THEN both are found, the closed one naming the surviving ticket (the console
    shows "merged into", and its merge picker leaves it out)."""
    older = new_ticket(api.stack, "Rechnung", sender=ANNA, body="Die Rechnung ist falsch")
    newer = new_ticket(api.stack, "Rechnung 2", sender=ANNA, body="Bitte eine Gutschrift")
    merged = api.post(f"/api/tickets/{newer}/merge", {"into": older})
    assert merged.status_code == 200, merged.json_body

    found = {t["id"]: t for t in api.get(q("gutschrift")).json_body["tickets"]}

    assert sorted(found) == sorted([older, newer])
    assert (found[newer]["status"], found[newer]["merged_into"]) == ("closed", older)
    assert found[older]["merged_into"] is None
