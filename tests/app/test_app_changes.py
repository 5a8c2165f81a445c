"""What an open console polls (GET /api/changes) and the "customer replied" marker in the
queue, over the API on the moto-backed stack (issue 16, item 2)."""

from __future__ import annotations

from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.request_counts import RequestCounter
from tests.support.staff_api import ANN, BOB, bob_token


def queued(api, ticket_id: str) -> dict:
    page = api.get("/api/tickets?mailbox=support&status=new,open,pending,solved").json_body
    return next(t for t in page["tickets"] if t["id"] == ticket_id)


def test_counters_move_with_new_mail_and_a_customer_answer_marks_the_ticket(api):
    """GIVEN an open console WHEN a mail opens a ticket, ann answers and solves it and the
    customer writes back THEN the counters say so and the queue marks the ticket."""
    idle = api.get("/api/changes")
    assert idle.status_code == 200
    assert idle.json_body == {
        "mailboxes": {
            "support": {"changes": 0, "tickets": 0, "ticket": None},
            "billing": {"changes": 0, "tickets": 0, "ticket": None},
        },
        "mine": {"changes": 0, "replies": 0, "ticket": None},
    }
    first = deliver(api.stack, make_mail(message_id="<q1@customer.org>"))
    changed = api.get("/api/changes").json_body
    assert changed["mailboxes"]["support"] == {"changes": 1, "tickets": 1, "ticket": first.ticket}
    assert queued(api, first.ticket)["customer_replied"] is False

    assert api.patch(f"/api/tickets/{first.ticket}", {"assignee": ANN}).status_code == 200
    sent = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Unplug it."})
    assert sent.status_code == 201, sent.json_body
    assert api.patch(f"/api/tickets/{first.ticket}", {"status": "solved"}).status_code == 200
    assert queued(api, first.ticket)["customer_replied"] is False

    deliver(
        api.stack, make_mail(subject=f"Re: [{first.ticket}] Printer on fire", in_reply_to="<q1@customer.org>")
    )
    answered = queued(api, first.ticket)
    assert answered["customer_replied"] is True and answered["status"] == "open"
    now = api.get("/api/changes").json_body
    # The new ticket, ann's claim, reply and status change, the customer's answer (the
    # acknowledgement bumps nothing); one new ticket.
    assert now["mailboxes"]["support"] == {"changes": 5, "tickets": 1, "ticket": first.ticket}
    assert now["mine"] == {"changes": 1, "replies": 1, "ticket": first.ticket}


def test_a_colleagues_claim_reply_and_note_move_the_mailboxs_counter(api):
    """GIVEN ann's open console WHEN bob claims a ticket, replies, adds a note and tags it
    THEN each moves the support counter ann polls (her console re-reads within seconds),
    and none counts as a new ticket or a customer reply."""
    bob = bob_token(api)
    first = deliver(api.stack, make_mail(message_id="<c1@customer.org>"))
    support = lambda: api.get("/api/changes").json_body["mailboxes"]["support"]  # noqa: E731
    assert support() == {"changes": 1, "tickets": 1, "ticket": first.ticket}

    assert api.patch(f"/api/tickets/{first.ticket}", {"assignee": BOB}, token=bob).status_code == 200
    assert support()["changes"] == 2
    sent = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "On it."}, token=bob)
    assert sent.status_code == 201, sent.json_body
    assert support()["changes"] == 3
    noted = api.post(f"/api/tickets/{first.ticket}/notes", {"text": "Called them."}, token=bob)
    assert noted.status_code == 201, noted.json_body
    assert api.patch(f"/api/tickets/{first.ticket}", {"tags": ["vip"]}, token=bob).status_code == 200

    assert support() == {"changes": 5, "tickets": 1, "ticket": first.ticket}
    assert api.get("/api/changes").json_body["mine"] == {"changes": 0, "replies": 0, "ticket": None}


# What one refresh of console.js reads (loadCounts and loadQueue; presence is renewed
# every 15 s either way and left out of both figures).
REFRESH = [
    *(
        f"/api/tickets?mailbox=support&status={s}&limit=100"
        for s in ("new", "open", "pending", "solved", "closed")
    ),
    "/api/tickets?assignee=me&status=new,open,pending&limit=100",
    "/api/suspended?mailbox=support",
    "/api/tickets?mailbox=support&status=new,open&limit=50",
]


def test_polling_the_counters_costs_fewer_dynamodb_requests_a_minute_than_polling_the_queue(api):
    """GIVEN an open console WHEN it polls the counters every 3 s and re-reads its queue once a
    minute (and on a change) THEN it makes fewer DynamoDB requests a minute than the 15 s
    queue polling did (the figures in bench/RESULTS.md)."""
    from chalicelib.wiring import services

    for n in range(3):
        deliver(api.stack, make_mail(subject=f"Question {n}"))
    assert api.get("/api/changes").status_code == 200  # sign-in and clients built before counting
    requests = RequestCounter()
    services()._dynamodb.meta.events.register("before-call.dynamodb", requests)

    refresh = requests.during(lambda: [api.get(path) for path in REFRESH])
    poll = requests.during(lambda: api.get("/api/changes"))

    before = 4 * refresh  # every 15 s
    after = 20 * poll + refresh  # every 3 s, and the fallback re-read once a minute
    hidden = 4 * poll  # a hidden tab: the counters every 15 s, no re-read
    print(
        f"refresh={refresh} counters={poll} before={before}/min after(idle)={after}/min hidden={hidden}/min"
    )
    assert poll == 1 and refresh >= len(REFRESH)
    assert after < before and hidden < poll * 20


def test_a_staff_edit_bumps_the_counter_in_the_one_write_it_makes(api):
    """GIVEN a ticket WHEN an agent assigns it and raises its priority THEN each edit is still
    one DynamoDB write (the TransactWriteItems with its audit lines), which moves the counter."""
    from chalicelib.wiring import services

    ticket = deliver(api.stack, make_mail()).ticket
    assert api.get("/api/changes").status_code == 200  # sign-in and clients built before counting
    writes: list[str] = []
    kinds = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")

    def write(model, **_: object) -> None:
        if model.name in kinds:
            writes.append(model.name)

    services()._dynamodb.meta.events.register("before-call.dynamodb", write)
    assert api.patch(f"/api/tickets/{ticket}", {"assignee": ANN}).status_code == 200
    assert api.patch(f"/api/tickets/{ticket}", {"priority": "urgent"}).status_code == 200

    assert writes == ["TransactWriteItems", "TransactWriteItems"]
    assert api.get("/api/changes").json_body["mailboxes"]["support"]["changes"] == 3


def test_the_views_counts_come_in_one_request_as_the_lists_would_count_them(api):
    """GIVEN tickets new, open (ann's), pending (bob's) and one in billing WHEN the console
    asks for its view tabs' counts THEN one request says how many each view lists: the
    mailbox's by status, and ann's own in every mailbox."""
    bob = bob_token(api)
    fresh, mine, bobs = (new_ticket(api.stack, f"Question {n}") for n in range(3))
    billed = deliver(
        api.stack, make_mail(subject="Invoice", to="billing@example.com"), ("billing@example.com",)
    )
    billing = str(billed.ticket)
    assert api.patch(f"/api/tickets/{mine}", {"assignee": ANN}).status_code == 200
    assert api.patch(f"/api/tickets/{billing}", {"assignee": ANN}).status_code == 200
    assert (
        api.patch(f"/api/tickets/{bobs}", {"assignee": BOB, "status": "pending"}, token=bob).status_code
        == 200
    )

    answer = api.get("/api/tickets?mailbox=support&counts=1")

    assert answer.status_code == 200, answer.json_body
    counts = {name: c["count"] for name, c in answer.json_body["counts"].items()}
    assert counts == {"new": 1, "open": 1, "pending": 1, "solved": 0, "closed": 0, "mine": 2}
    for status in ("new", "open", "pending"):
        listed = api.get(f"/api/tickets?mailbox=support&status={status}").json_body["tickets"]
        assert len(listed) == counts[status]
    assert not any(c["more"] for c in answer.json_body["counts"].values())
    assert fresh in [t["id"] for t in api.get("/api/tickets?mailbox=support&status=new").json_body["tickets"]]
    assert api.get("/api/tickets?mailbox=nowhere&counts=1").status_code == 400


def test_the_open_tickets_presence_counter_comes_with_the_counters_in_the_same_read(api):
    """GIVEN ann's console with a ticket open WHEN bob opens it, starts writing and leaves
    THEN the counters ann polls (?ticket=) move each time, in the one read they always were,
    so her console asks who is there within seconds; bob's renewal moves nothing."""
    from chalicelib.wiring import services

    bob = bob_token(api)
    ticket = new_ticket(api.stack)
    poll = f"/api/changes?ticket={ticket}"
    opened = api.call("PUT", f"/api/tickets/{ticket}/presence", {"writing": False})
    assert opened.status_code == 200 and opened.json_body["changes"] == 1  # ann's own arrival
    assert api.get(poll).json_body["presence"] == {"ticket": ticket, "changes": 1}
    requests = RequestCounter()
    services()._dynamodb.meta.events.register("before-call.dynamodb", requests)
    assert requests.during(lambda: api.get(poll)) == 1
    # A renewal costs what it did (PutItem, Query); an arrival or a change one UpdateItem more.
    renew = lambda: api.call("PUT", f"/api/tickets/{ticket}/presence", {"writing": False})  # noqa: E731
    assert requests.during(renew) == 2

    moves = []
    for body in ({"writing": False}, {"writing": False}, {"writing": True}):
        answer = api.call("PUT", f"/api/tickets/{ticket}/presence", body, token=bob)
        assert answer.status_code == 200, answer.json_body
        moves.append(answer.json_body["changes"])
        assert api.get(poll).json_body["presence"]["changes"] == 1 + len([m for m in moves if m])
    assert moves == [2, None, 3]  # arrived, renewed, writing
    assert api.call("DELETE", f"/api/tickets/{ticket}/presence", token=bob).status_code == 204
    assert api.get(poll).json_body["presence"] == {"ticket": ticket, "changes": 4}
    assert "presence" not in api.get("/api/changes").json_body
    assert api.get("/api/changes?ticket=T-1%23AGENT%23x").status_code == 400
