"""A long ticket is shown in pages: every response of GET /api/tickets/{id} stays well
under Lambda's 6 MB, the latest messages first, and `?before=` brings the earlier ones.

GIVEN a ticket whose three messages carry 1.4 MB of text each (bodies kept in S3) WHEN
staff open it THEN the latest come first, `earlier` says more are there, and following
the `before` cursor brings every message back whole, in order; no response is bigger
than half of Lambda's limit.
"""

from __future__ import annotations

import json

from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

LAMBDA_RESPONSE_LIMIT = 6_291_456
BIG = "All the printers are on fire again. " * 40_000  # 1.4 MB of text


def test_a_long_ticket_comes_in_pages_that_fit_lambdas_response(api):
    first = deliver(api.stack, make_mail(message_id="<p-1@customer.org>", body="1 " + BIG))
    for n in (2, 3):
        reply = make_mail(subject="Re: Printer on fire", in_reply_to="<p-1@customer.org>", body=f"{n} " + BIG)
        assert deliver(api.stack, reply).ticket == first.ticket

    pages, before = [], None
    while True:
        path = f"/api/tickets/{first.ticket}" + (f"?before={before}" if before else "")
        response = api.get(path)
        assert response.status_code == 200
        assert len(json.dumps(response.json_body)) < LAMBDA_RESPONSE_LIMIT / 2
        pages.append(response.json_body)
        before = response.json_body["before"]
        if before is None:
            break
    assert len(pages) > 1 and pages[0]["earlier"] >= 1 and pages[-1]["earlier"] == 0
    assert pages[0]["messages"][-1]["text"][:2] == "3 "  # the latest first
    texts = [m["text"] for page in reversed(pages) for m in page["messages"]]
    assert [t[:2] for t in texts] == ["1 ", "2 ", "3 "]
    assert all(len(t) > 1_000_000 for t in texts)  # whole, not cut
