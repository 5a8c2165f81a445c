"""Undo-send on fakes: a held reply leaves when its delayed queue message arrives, unless
undone first; the undo and the send cannot both happen; a colleague's simultaneous Send
is still refused at once (409)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from chalicelib.domain.held_replies import HeldState
from chalicelib.errors import (
    Forbidden,
    InboundError,
    InvalidRequest,
    MergedTicket,
    SecretsUnavailable,
    StaleReply,
    Suppressed,
    TicketConflict,
)
from chalicelib.services.held_replies import HeldReplySender, refusal_code
from chalicelib.services.reply_uploads import ReplyUploads
from tests.fakes.held_replies import FakeHeldReplies, FakeSendQueue
from tests.fakes.uploads import FakeUploads
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import SECRET, mail_out

ANN, BOB = "ann@example.com", "bob@example.com"


def setup(delay: int = 10):
    svc = mail_out(acknowledge_new_tickets=False)
    store, queue = FakeHeldReplies(), FakeSendQueue()
    uploads = ReplyUploads(svc.settings, FakeUploads(), svc.desk.tickets.live_ticket)
    held = HeldReplySender(store, queue, svc.outbound, uploads, delay, clock=lambda: svc.desk.clock)
    ticket = deliver_via(svc, make_mail()).ticket
    last_seen = svc.desk.tickets.messages(ticket)[-1].key
    return svc, held, store, queue, ticket, last_seen


def arrive(held: HeldReplySender, queue: FakeSendQueue) -> list[HeldState | None]:
    """The delayed queue messages arrive (send_reply runs once for each)."""
    return [held.send_due(body["ticket"], body["hold"]) for body, _ in queue.queued]


def test_a_held_reply_waits_for_its_queue_message_then_leaves_through_the_guard():
    svc, held, store, queue, ticket, seen = setup()

    reply = held.hold(ticket, ANN, "On it.", last_seen=seen)

    assert svc.sender.sent == [] and queue.queued == [({"ticket": ticket, "hold": reply.hold_id}, 10)]
    assert arrive(held, queue) == [HeldState.SENT]
    assert [s.destinations for s in svc.sender.sent] == [("alice@customer.org",)]
    done = held.status(ticket, reply.hold_id)
    assert done.state == HeldState.SENT and done.message_key == svc.desk.tickets.messages(ticket)[-1].key
    assert arrive(held, queue) == [None]  # a redelivered queue message sends nothing twice
    assert len(svc.sender.sent) == 1


def test_an_undone_reply_is_never_sent_and_the_thread_can_be_answered_again():
    svc, held, store, queue, ticket, seen = setup()
    reply = held.hold(ticket, ANN, "Wrong answer", last_seen=seen)

    assert held.undo(ticket, reply.hold_id, ANN).state == HeldState.CANCELLED

    assert arrive(held, queue) == [None] and svc.sender.sent == []
    again = held.hold(ticket, BOB, "The right answer", last_seen=seen)  # the claim was given back
    assert arrive(held, queue)[-1] == HeldState.SENT and again.agent == BOB


def test_an_undo_after_the_send_began_is_refused_and_the_reply_goes_out():
    svc, held, store, queue, ticket, seen = setup()
    reply = held.hold(ticket, ANN, "On it.", last_seen=seen)
    arrive(held, queue)

    with pytest.raises(TicketConflict, match="too late to undo: the reply is sent"):
        held.undo(ticket, reply.hold_id, ANN)
    with pytest.raises(Forbidden):
        held.undo(ticket, reply.hold_id, BOB)
    assert len(svc.sender.sent) == 1


def test_undo_and_send_racing_never_both_happen():
    """GIVEN 200 held replies WHEN each one's undo and send run at the same moment in two
    threads THEN each reply is either sent once (and the undo refused) or never sent."""
    svc, held, store, queue, ticket, _ = setup()
    outcomes = []
    for n in range(200):
        reply = held.hold(ticket, ANN, f"Reply {n}")
        start = threading.Barrier(2)
        result: dict[str, object] = {}

        def undo(hold_id=reply.hold_id, result=result, start=start):
            start.wait()
            try:
                result["undo"] = held.undo(ticket, hold_id, ANN).state
            except TicketConflict:
                result["undo"] = "too late"

        def send(hold_id=reply.hold_id, result=result, start=start):
            start.wait()
            result["send"] = held.send_due(ticket, hold_id)

        threads = [threading.Thread(target=undo), threading.Thread(target=send)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes.append((result["undo"], result["send"]))
    assert set(outcomes) <= {(HeldState.CANCELLED, None), ("too late", HeldState.SENT)}
    sent = sum(1 for _, s in outcomes if s == HeldState.SENT)
    assert len(svc.sender.sent) == sent


def test_a_colleagues_simultaneous_send_is_refused_at_once_as_without_a_delay():
    svc, held, store, queue, ticket, seen = setup()
    held.hold(ticket, ANN, "Mine", last_seen=seen)

    with pytest.raises(StaleReply, match=f"a colleague \\({ANN}\\) is sending a reply"):
        held.hold(ticket, BOB, "Mine too", last_seen=seen)
    assert len(queue.queued) == 1


def test_a_customer_mail_in_the_window_refuses_the_reply_with_the_reason():
    svc, held, store, queue, ticket, seen = setup()
    reply = held.hold(ticket, ANN, "On it.", last_seen=seen)
    deliver_via(svc, make_mail(subject=f"Re: [{ticket}] Printer on fire", body="Also the scanner."))

    assert arrive(held, queue) == [HeldState.REFUSED]

    assert svc.sender.sent == []
    assert "wrote" in held.status(ticket, reply.hold_id).reason


def test_a_refused_reply_keeps_its_code_so_the_console_can_say_it_in_german():
    """GIVEN a held reply WHEN the requester is suppressed, or the thread moved on, before
    its time THEN the refusal keeps its stable code beside the English text (the console's
    German page says the code's sentence, not the text)."""
    svc, held, store, queue, ticket, seen = setup()
    suppressed = held.hold(ticket, ANN, "On it.", last_seen=seen)
    svc.suppression.import_list("alice@customer.org,BOUNCE", by="test")

    assert arrive(held, queue) == [HeldState.REFUSED]
    got = held.status(ticket, suppressed.hold_id)
    assert (got.reason_code, got.reason_values) == ("suppressed", ()) and got.reason

    svc, held, store, queue, ticket, seen = setup()
    stale = held.hold(ticket, ANN, "On it.", last_seen=seen)
    deliver_via(svc, make_mail(subject=f"Re: [{ticket}] Printer on fire", body="Also the scanner."))
    arrive(held, queue)
    got = held.status(ticket, stale.hold_id)
    assert got.reason_code == "stale" and "wrote" in got.reason


def test_a_merged_ticket_refusal_keeps_the_survivor_its_sentence_names():
    assert refusal_code(MergedTicket("T-1", "T-2")) == ("merged", (("merged_into", "T-2"),))
    assert refusal_code(InvalidRequest("the reply is empty")) == ("invalid_request", ())
    assert refusal_code(InboundError("something else")) == ("", ())


def test_a_send_ses_did_not_take_waits_again_for_the_queues_retry():
    svc, held, store, queue, ticket, seen = setup()
    reply = held.hold(ticket, ANN, "On it.", last_seen=seen)
    svc.sender.failures.append(ConnectionError("SES unreachable"))

    with pytest.raises(ConnectionError):
        arrive(held, queue)
    assert held.status(ticket, reply.hold_id).state == HeldState.WAITING
    assert arrive(held, queue) == [HeldState.SENT]


def test_a_send_that_cannot_read_the_reply_secrets_waits_again_for_the_queues_retry():
    """SSM throttled or out when the window ends (nothing kept to sign the Reply-To with) is
    a moment, not a refusal: the reply waits for the queue's retry and then leaves."""
    svc, held, store, queue, ticket, seen = setup()
    reply = held.hold(ticket, ANN, "On it.", last_seen=seen)
    answers: list[tuple[bytes, ...] | Exception] = [SecretsUnavailable("SSM throttled", 15), (SECRET,)]

    def secrets() -> tuple[bytes, ...]:
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    svc.outbound.ports = replace(svc.outbound.ports, reply_secrets=secrets)

    with pytest.raises(SecretsUnavailable):
        arrive(held, queue)
    assert held.status(ticket, reply.hold_id).state == HeldState.WAITING and svc.sender.sent == []
    assert arrive(held, queue) == [HeldState.SENT]


def test_a_suppressed_requester_is_refused_at_once_not_after_the_window():
    svc, held, store, queue, ticket, seen = setup()
    svc.suppression.import_list("alice@customer.org,BOUNCE", by="test")

    with pytest.raises(Suppressed):
        held.hold(ticket, ANN, "On it.", last_seen=seen)
    assert queue.queued == [] and store.items == {}


def test_a_reply_too_large_for_one_item_is_refused_before_anything_is_held():
    svc, held, store, queue, ticket, seen = setup()
    with pytest.raises(InvalidRequest, match="cannot wait for an undo"):
        held.hold(ticket, ANN, "x" * 200_000, html="<p>" + "x" * 200_000 + "</p>", last_seen=seen)
    assert queue.queued == [] and store.items == {}


def test_a_page_loaded_again_finds_the_agents_replies_not_yet_sent_and_only_theirs():
    svc, held, store, queue, ticket, seen = setup()
    undone = held.hold(ticket, ANN, "Wrong answer")
    held.undo(ticket, undone.hold_id, ANN)
    waiting = held.hold(ticket, ANN, "On it.")
    held.hold(ticket, BOB, "Bob's answer")

    assert [(h.hold_id, h.text) for h in held.pending(ticket, ANN)] == [(waiting.hold_id, "On it.")]
    arrive(held, queue)
    assert held.pending(ticket, ANN) == [] and len(svc.sender.sent) == 2
