"""Attack: a customer names themselves "Support Team" in lookalike letters (a Cyrillic `Ѕ`
and `Т`, or mathematical bold), so that an agent reading the thread takes the mail for one
of their team's and acts on it ("please refund T-1042 to this account").

Answer: the console shows every sender as `name <address>`, customer mail in the
customer's colour and pill, and now also marks such a name: the API says
`sender_name_mixed_scripts` (chalicelib/domain/lookalike_names.py) and the thread shows a
"name in mixed scripts" chip. Honest names in one script (or kanji with kana) are not marked.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.lookalike_names import mixed_scripts
from tests.support.desk_helpers import new_ticket

LOOKALIKES = ["\u0405upport \u0422eam", "𝐒𝐮𝐩𝐩𝐨𝐫𝐭 𝐓𝐞𝐚𝐦", "Ｓｕｐｐｏｒｔ", "Supp\u03bfrt Team"]
HONEST = ["Support Team", "José Müller", "Иван Петров", "山田 たろう", "Σωκράτης Παππάς", ""]


@pytest.mark.parametrize("name", LOOKALIKES)
def test_a_name_in_lookalike_letters_is_marked(name):
    assert mixed_scripts(name)


@pytest.mark.parametrize("name", HONEST)
def test_a_name_in_one_script_is_not(name):
    assert not mixed_scripts(name)


def test_the_thread_marks_the_customer_posing_as_the_team(api):
    posing = new_ticket(api.stack, sender="\u0405upport \u0422eam <eve@evil.test>")
    honest = new_ticket(api.stack, sender="Иван Петров <ivan@customer.test>")

    def marked(ticket: str) -> list[bool]:
        answer = api.get(f"/api/tickets/{ticket}")
        assert answer.status_code == 200, answer.json_body
        return [
            m["sender_name_mixed_scripts"] for m in answer.json_body["messages"] if m["kind"] == "customer"
        ]

    assert marked(posing) == [True]
    assert marked(honest) == [False]
