"""An incoming mail's notes in the agent's language (console.js's message badge, i18n.js
`notes`). GIVEN messages as the API returns them WHEN a German console shows them THEN a
note stored with its code says the catalogue's German sentence with its values, a note
without a code and a message stored before codes (its `reason` only) say the server's
English as written; an English console says the English. Node, a minimal page
(tests/support/console_node.py)."""

from __future__ import annotations

import json

from chalicelib.api.views import notes_json
from chalicelib.domain import participants
from chalicelib.domain.notes import joined, plain
from tests.support.console_catalogue import table
from tests.support.console_node import run

SAY = "done(JSON.parse(process.env.MESSAGES).map((m) => window.InboundI18n.notes(m)));"
NOTED = (plain("Auto-Submitted: auto-replied"), participants.not_a_participant("eve@else.org"))
OLD_REASON = "Cc, To and Reply-To not added: the sender is not authenticated"


def _messages() -> list[dict[str, object]]:
    coded = {"reason": joined(NOTED), "notes": [notes_json(n) for n in NOTED]}
    unauthenticated = {"reason": OLD_REASON, "notes": [notes_json(participants.UNAUTHENTICATED)]}
    old = {"reason": OLD_REASON}  # stored before notes kept codes: no `notes`
    return [coded, unauthenticated, old, {"reason": None, "notes": []}]


def _said(language: str) -> list[str]:
    shown = run(language, [], SAY, {"MESSAGES": json.dumps(_messages())})
    assert isinstance(shown, list)
    return [str(line) for line in shown]


def test_a_german_console_says_coded_notes_in_german_and_old_ones_as_written():
    de = table("de")
    stranger = str(de["note.participants_not_participant"]).replace("{sender}", "eve@else.org")
    assert _said("de-DE") == [
        f"Auto-Submitted: auto-replied; {stranger}",
        str(de["note.participants_unauthenticated"]),
        OLD_REASON,
        "",
    ]


def test_an_english_console_says_the_notes_as_the_server_wrote_them():
    assert _said("en-US") == [joined(NOTED), OLD_REASON, OLD_REASON, ""]


def test_a_german_console_says_why_a_mail_did_not_join_its_ticket_with_the_trust_reason_in_german():
    """The related-ticket line and the message's badge (both i18n.js notes): the claim's
    note in German, sender_trust's English reason inside it said in German too."""
    from chalicelib.domain.correlation import ThreadFacts, decide
    from chalicelib.domain.tickets import Ticket

    trust = "DMARC failed for customer.org"
    claimed = Ticket(id="T-1", mailbox="support", subject="x", requester="alice@customer.org")
    facts = ThreadFacts(
        mailbox="support", sender="alice@customer.org", trust_reason=trust, referenced=(claimed,)
    )
    [noted] = decide(facts).notes
    line = {"reason": noted.text, "notes": [notes_json(noted)]}
    de = table("de")
    german = (
        str(de["note.references_unauthenticated"])
        .replace("{ticket}", "T-1")
        .replace("{trust}", str(de["trust.dmarc_failed"]).replace("{domain}", "customer.org"))
    )
    shown = run("de-DE", [], SAY, {"MESSAGES": json.dumps([line])})
    assert shown == [german]
    assert run("en-US", [], SAY, {"MESSAGES": json.dumps([line])}) == [noted.text]


def test_a_german_console_says_why_mail_was_suspended_in_german_and_a_quoted_header_as_it_came():
    """The suspended list (triage.js, i18n.js notes): a newsletter's reason by its code in
    German, a header quoted as it came and a mail suspended before codes as written."""
    from chalicelib.domain.classify import classify
    from chalicelib.domain.mail import Verdicts
    from tests.support.stdlib_mail import customer_mail

    clean = Verdicts(spam="PASS", virus="PASS")
    listed = classify(customer_mail(List_Id="News <news.example.org>"), clean, None).reason_note
    quoted = classify(customer_mail(Auto_Submitted="auto-replied"), clean, None).reason_note
    assert listed is not None and quoted is not None
    rows = [
        {"reason": listed.text, "notes": [notes_json(listed)]},
        {"reason": quoted.text, "notes": [notes_json(quoted)]},
        {"reason": listed.text, "notes": []},  # suspended before reasons kept codes
    ]
    shown = run("de-DE", [], SAY, {"MESSAGES": json.dumps(rows)})
    german = str(table("de")["note.mailing_list"]).replace("{header}", "List-Id")
    assert shown == [german, "Auto-Submitted: auto-replied", "List-Id present (mailing list)"]
