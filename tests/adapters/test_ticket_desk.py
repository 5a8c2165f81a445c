"""The staff desk against moto: what needs AWS itself (claims racing on DynamoDB's
conditions, bodies and download links from S3). The queue, notes, edits, split and merge run
on in-memory ports in tests/services/test_desk.py, the fakes held to these adapters by
tests/contracts/test_desk_contract.py."""

from __future__ import annotations

import threading

from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket, serialize_moto_dynamodb
from tests.support.mail_factory import make_mail

ANN, BOB = "ann@example.com", "bob@example.com"


def ids(page) -> list[str]:
    return [t.id for t in page.tickets]


def test_ten_agents_claiming_at_once_never_get_the_same_ticket(stack, monkeypatch):
    serialize_moto_dynamodb(monkeypatch)
    desk = stack.services.desk
    made = [new_ticket(stack, f"ticket {n}") for n in range(12)]
    agents = [f"agent{n}@example.com" for n in range(10)]
    claims: dict[str, str | None] = {}
    start = threading.Barrier(len(agents))

    def claim(agent: str) -> None:
        start.wait()
        ticket = desk.claim_next(agent)
        claims[agent] = ticket.id if ticket else None

    threads = [threading.Thread(target=claim, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    won = [t for t in claims.values() if t]
    assert len(won) == 10 and len(set(won)) == 10
    assert {stack.tickets.get_ticket(t).assignee for t in won} == set(agents)
    assert all(stack.tickets.get_ticket(claims[a]).assignee == a for a in agents)
    assert sorted(ids(desk.queue(ANN, assignee="none"))) == sorted(set(made) - set(won))


def test_a_ticket_shows_its_messages_in_order_with_bodies_verdicts_and_download_links(stack):
    desk = stack.services.desk
    pdf, page = b"%PDF-1.4\n" + b"0" * 100, b"<html><script>alert(1)</script></html>"
    mail = make_mail(
        html="<p>Hi <script>alert(1)</script><b>there</b></p>",
        attachments=(("Rechnung März.pdf", "application/pdf", pdf), ("invoice.html", "text/html", page)),
    )
    first = deliver(stack, mail, timestamp="2026-11-27T10:00:01.000Z")
    reply = make_mail(subject=f"Re: [{first.ticket}] Printer on fire", body="Still burning. " * 20_000)
    deliver(stack, reply, timestamp="2026-11-27T11:00:00.000Z")
    detail = desk.show(first.ticket)
    opening, follow_up = detail.messages
    assert opening.message.thread_signal == "new" and follow_up.message.thread_signal == "subject"
    assert opening.message.verdicts["dmarc"] == "PASS" and opening.message.sender == "alice@customer.org"
    assert "<b>there</b>" in opening.body.html and "<script" not in opening.body.html
    assert follow_up.body.text.count("Still burning.") == 20_000  # the whole body, from S3
    shown, download = opening.attachments
    assert (shown.disposition, download.disposition) == ("inline", "attachment")
    assert "response-content-disposition=attachment" in download.url and "X-Amz-Expires=300" in download.url
    assert "filename%2A%3DUTF-8%27%27Rechnung%2520M%25C3%25A4rz.pdf" in shown.url


def test_downloading_a_risky_attachment_gets_its_bytes_as_a_download(stack):
    import requests

    page = b"<html><script>alert(1)</script></html>"
    outcome = deliver(stack, make_mail(attachments=(("invoice.html", "text/html", page),)))
    [view] = stack.services.desk.show(outcome.ticket).messages[0].attachments
    response = requests.get(view.url, timeout=10)
    assert response.content == page
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"] == "application/octet-stream"
