"""A sent reply's warnings (a Cc left out and why, the sending reputation) in the agent's
language: the toast after Send and the reply's badge in the thread (console.js) say them
through i18n.js `warnings`. GIVEN the lines the server writes (domain/participants.py,
domain/send_policy.py, services/outbound.py's refusal of a Cc) WHEN a German console says
them THEN each has its German sentence, the guard's English detail left out; an English
console says them as written; a note no template knows (an inbound mail's) stays as written.
Node, a minimal page (tests/support/console_node.py)."""

from __future__ import annotations

import json

from chalicelib.domain import send_policy
from chalicelib.domain.participants import reply_recipients
from chalicelib.domain.reputation import ReputationState
from chalicelib.domain.send_policy import SendFacts
from tests.support.console_catalogue import table
from tests.support.console_node import run

SAY = "done(JSON.parse(process.env.LINES).map((line) => window.InboundI18n.warnings(line)));"
INBOUND_NOTE = "Auto-Submitted: auto-replied"


def _lines() -> list[str]:
    suppressed = send_policy.decide(
        SendFacts(recipient="bob@example.org", automatic=False, suppression_reason="BOUNCE")
    )
    refusals = {"bad": "not a valid address", "bob@example.org": f"{suppressed.reason} ({suppressed.detail})"}
    left_out = reply_recipients(
        "ann@example.com", ["bad", "bob@example.org"], lambda a: refusals.get(a, "")
    ).left_out
    warned = send_policy.decide(
        SendFacts(
            recipient="ann@example.com",
            automatic=False,
            reputation_state=ReputationState.WARNING,
            reputation_note="bounce 4.10%",
        )
    )
    return ["; ".join([*left_out, warned.warning]), INBOUND_NOTE]


def _said(language: str) -> list[str]:
    lines = _lines()
    shown = run(language, [], SAY, {"LINES": json.dumps(lines)})
    assert isinstance(shown, list)
    return [str(line) for line in shown]


def test_a_german_console_says_a_replys_warnings_in_german():
    de = table("de")
    german = "; ".join(
        [
            str(de["warning.invalid"]).replace("{address}", "bad"),
            str(de["warning.left_out"])
            .replace("{address}", "bob@example.org")
            .replace("{why}", str(de["error.suppressed"])),
            str(de["warning.reputation"]).replace("{note}", "bounce 4.10%"),
        ]
    )

    assert _said("de-DE") == [german, INBOUND_NOTE]


def test_an_english_console_says_them_as_the_server_wrote_them():
    assert _said("en-US") == _lines()


def test_a_cc_over_ses_limit_is_said_in_german():
    many = [f"cc{n}@example.org" for n in range(60)]
    over = reply_recipients("ann@example.com", many, lambda a: "").left_out[-1]
    shown = run("de-DE", [], SAY, {"LINES": json.dumps([over])})
    limit = over.split("limit of ")[1].split(" ")[0]
    expected = str(table("de")["warning.over_limit"]).replace("{address}", "cc59@example.org")
    assert shown == [expected.replace("{limit}", limit)]
