"""Attack: an agent's forward as a relay: many addresses in one `to`, a header smuggled in
through `to` or the note, or an address no header can hold, hoping for a 500.

Answer: one bare address per forward, or a 400 with the reason; the note is body text.
"""

from __future__ import annotations

import pytest

from tests.support.desk_helpers import new_ticket

HOSTILE_TO = {
    "two addresses": "a@x.test, b@y.test",
    "group": "g: a@x.test, b@y.test;",
    "CRLF Bcc": "a@x.test\r\nBcc: victim@evil.test",
    "paragraph separator": "a@x.test\u2029Bcc: v@evil.test",
    "next line": "a@x.test\u0085",
    "angle brackets": "<a@x.test>",
    "display name": "Eve <a@x.test>",
    "no domain": "a@",
}


@pytest.mark.parametrize("to", HOSTILE_TO.values(), ids=HOSTILE_TO.keys())
def test_a_forward_goes_to_one_writable_address_or_is_refused(api, to):
    ticket = new_ticket(api.stack)

    answer = api.post(f"/api/tickets/{ticket}/forward", {"to": to, "note": "FYI\r\nBcc: victim@evil.test"})

    assert answer.status_code == 400, (answer.status_code, answer.json_body)
    assert answer.json_body["error"] and answer.json_body["reason"]
