"""Attack: more guesses at one agent by spelling the address another way. The limits count per
address as the proxy passes it to Cognito (lower-cased, the only form it passes). GIVEN an agent
whose address has had its wrong guesses WHEN the attacker sends the agent's right password under
the same address upper-cased, with a zero-width space, a trailing dot, Cyrillic or Greek
look-alike letters, fullwidth `@`, a NUL, a quoted local part, or `@` alone THEN none signs in:
the case variant meets the same limit (429), the others are other addresses to Cognito (401) or
no address at all (400). (Tried: it did not work; kept as the regression.)"""

from __future__ import annotations

from chalicelib.domain.sign_in_throttle import PER_ADDRESS
from tests.support.staff_api import ANN, Api, pool_of
from tests.support.staff_auth import PASSWORD, sign_in

LOOKALIKES = [
    ANN + "\u200b",
    ANN + ".",
    "\u0430nn@ex\u0430mple.com",  # Cyrillic a
    "\u0391NN@EXAMPLE.COM",  # Greek capital alpha
    ANN.replace("@", "\uff20"),
    ANN + "\x00",
    '"ann"@example.com',
    "x@y@" + ANN,
    "@",
    "a" * 5000 + "@example.com",
]


def _login(api: Api, email: str, password: str) -> int:
    return api.call("POST", "/console/login", {"email": email, "password": password}, token="").status_code


def test_no_other_spelling_of_a_guessed_address_signs_in_or_escapes_its_limit(api):
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)
    for n in range(PER_ADDRESS):
        assert _login(api, ANN, f"Guess-{n}-x") == 401

    assert _login(api, ANN.upper(), PASSWORD) == 429
    answers = {email: _login(api, email, PASSWORD) for email in LOOKALIKES}
    assert set(answers.values()) <= {400, 401}, answers
