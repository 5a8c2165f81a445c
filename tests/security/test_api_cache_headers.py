"""Attack: read a signed-out agent's customers from the browser's disk cache.

The API's answers (tickets with customers' mail and addresses, the staff list, profiles)
carried no Cache-Control, and a browser may store a response to a request with an
Authorization header in its private cache (RFC 9111 section 3.5 bars only shared caches),
so after sign-out on a shared machine the next user, or anything that reads the profile's
cache folder, found them. GIVEN a signed-in agent WHEN the API answers THEN the answer says
`Cache-Control: no-store`, errors included; the console's own page and assets keep theirs."""

from __future__ import annotations

import pytest

from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.staff_api import Api


@pytest.mark.parametrize(
    "path",
    ["/api/tickets", "/api/tickets/{ticket}", "/api/tickets/{ticket}/history", "/api/profile", "/api/agents"],
)
def test_every_answer_with_customer_data_forbids_storing_it(api: Api, path):
    from chalicelib.wiring import services

    ticket = deliver_via(services(), make_mail()).ticket

    answer = api.get(path.format(ticket=ticket))

    assert answer.status_code == 200, answer.body
    assert answer.headers.get("Cache-Control") == "no-store"


def test_an_error_answer_forbids_storing_it_too(api: Api):
    answer = api.get("/api/tickets/T-999999")

    assert answer.status_code == 404
    assert answer.headers.get("Cache-Control") == "no-store"


def test_the_console_page_keeps_its_own_caching(api: Api):
    answer = api.get("/", token="")

    assert answer.status_code == 200
    assert answer.headers.get("Cache-Control") == "no-cache"
