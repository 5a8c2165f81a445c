"""Split and merge against moto: the search index follows the messages that move, and a
split that stopped between its steps (a fault injected by a botocore hook) is finished,
without a second ticket, by asking for it again."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.domain.tickets import ticket_id_for
from chalicelib.wiring import build_services
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.fault_injection import FaultInjector
from tests.support.mail_factory import make_mail

ANN = "ann@example.com"
ANNA = "Anna Berg <anna.berg@kunde.de>"


def found(svc, text: str) -> list[str]:
    return [t.id for t in svc.search.search(ANN, text).tickets]


def ticket_with_two_later_mails(stack, n: int = 0) -> tuple[str, list[str]]:
    """A ticket about a printer, then two mails on other things: a delivery note, a coffee machine."""
    first = f"<printer{n}@kunde.de>"
    source = new_ticket(stack, "Printer", sender=ANNA, body="The printer is broken", message_id=first)
    for topic in ("Lieferschein fehlt", "Kaffeemaschine tropft"):
        deliver(stack, make_mail(subject="Re: Printer", sender=ANNA, body=topic, in_reply_to=first))
    later = [m.key for m in stack.tickets.messages(source) if "printer" not in m.body.text.lower()]
    assert len(later) == 2
    return source, later


def splits_of(stack, source: str) -> list[str]:
    """Every ticket split from `source` (read by number: no Scan)."""
    last = stack.tickets.ticket_counter()
    tickets: dict = {}
    for start in range(1, last + 1, 100):
        tickets |= stack.tickets.get_tickets(
            [ticket_id_for(n) for n in range(start, min(start + 100, last + 1))]
        )
    return sorted(t.id for t in tickets.values() if t.related_reason.startswith(f"split from {source}"))


def test_every_message_of_a_split_is_found_under_the_new_ticket(stack):
    source, later = ticket_with_two_later_mails(stack)

    new = stack.services.desk.split(source, ANN, later[0], later[1:])

    assert found(stack.services, "lieferschein") == [new.id, source]  # the source keeps its older terms
    assert found(stack.services, "kaffeemaschine") == [new.id, source], "the second message moved too"
    assert found(stack.services, f"kaffeemaschine {new.id}") == [new.id]


def test_a_merged_tickets_words_find_the_surviving_ticket_and_the_closed_one_says_so(stack):
    older = new_ticket(stack, "Invoice", sender=ANNA, body="Die Rechnung ist falsch")
    newer = new_ticket(stack, "Invoice again", sender=ANNA, body="Bitte Gutschrift senden")

    stack.services.desk.merge(newer, ANN, older)

    assert found(stack.services, "gutschrift") == [newer, older]
    results = {t.id: t for t in stack.services.search.search(ANN, "gutschrift").tickets}
    assert (results[newer].status, results[newer].merged_into) == ("closed", older)
    assert results[older].merged_into == ""
    assert found(stack.services, "rechnung gutschrift") == [older], (
        "both mails' words are the surviving ticket's"
    )


@pytest.fixture
def faulty(stack):
    """Services on a session of their own whose every AWS call can be made to fail once."""
    session = boto3.session.Session(region_name="us-east-1")
    injector = FaultInjector(session)
    return build_services(stack.settings, session), injector


def test_a_split_stopped_at_any_step_is_finished_by_asking_again(stack, faulty):
    svc, injector = faulty
    source, later = ticket_with_two_later_mails(stack)
    injector.calls.clear()
    clean = svc.desk.split(source, ANN, later[0], later[1:])
    steps = len(injector.calls)
    assert injector.calls.count("dynamodb.TransactWriteItems") == 2, "the split, then the second message"

    stopped = 0
    for step in range(steps):
        source, later = ticket_with_two_later_mails(stack, step + 1)
        injector.calls.clear()
        injector.fail_at = step
        try:
            svc.desk.split(source, ANN, later[0], later[1:])
        except ClientError:
            stopped += 1
        injector.fail_at = None

        new = svc.desk.split(source, ANN, later[1], later[:1])  # the retry, keys in any order

        assert splits_of(stack, source) == [new.id], f"step {step}: one new ticket"
        moved = [m.key for m in stack.tickets.messages(new.id) if m.kind != "event"]
        assert (moved, new.message_count) == (later, 2), f"step {step}"
        assert new.subject == clean.subject == "Re: Printer"
        assert stack.tickets.require_ticket(source).message_count == 1, f"step {step}"
        assert new.id in found(svc, "kaffeemaschine"), f"step {step}"
    assert stopped >= 3, "the faults stopped the split between its steps"
