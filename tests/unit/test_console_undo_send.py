"""The console's undo bar (chalicelib/console/static/undo_send.js) says why an undo failed in
the agent's language: GIVEN a German console WHEN the API refuses the cancel with 403
forbidden THEN the bar says the catalogue's German sentence for `forbidden`, not the
server's English words; an English console shows the server's own words, and a 409 is
"too late" in either. The scripts run in node against a minimal page (no browser)."""

from __future__ import annotations

import json
from dataclasses import replace

from chalicelib.api.views import held_json
from chalicelib.domain.held_replies import HeldReply, HeldState
from chalicelib.errors import InboundError, MergedTicket, Suppressed
from chalicelib.services.held_replies import refusal_code
from tests.support.console_catalogue import table
from tests.support.console_node import run

SERVER_WORDS = "only the agent who wrote a reply can undo it"

# undo_send.js's desk on the minimal page (tests/support/console_node.py): the bar's text is
# what the agent sees.
DESK = r"""
const desk = { api, el, $: () => null, toast() {}, openTicket: async () => {}, state: {},
  attachments: { restore() {} } };
const undo = window.InboundUndoSend(desk);
const bar = document.body.children[0];
const shown = () => bar.children.map((child) => child.text).join('');
"""

# The agent clicks Undo on a reply held for an hour, and the API refuses the cancel.
FAILED_UNDO = (
    r"""
const api = async (method) => {
  if (method !== 'DELETE') return { data: {} };
  throw apiError(Number(process.env.STATUS), process.env.CODE, process.env.SERVER_WORDS);
};
"""
    + DESK
    + r"""
const later = new Date(Date.now() + 3600e3).toISOString();
undo.track('T-1', { held: 'h-1', held_at: new Date().toISOString(), send_at: later }, 'text');
fire(bar.children.find((child) => child.tag === 'button'), 'click').then(() => done(shown()));
"""
)


def _bar_after_failed_undo(language: str, status: int, code: str) -> str:
    env = {"SERVER_WORDS": SERVER_WORDS, "STATUS": str(status), "CODE": code}
    return str(run(language, ["undo_send.js"], FAILED_UNDO, env))


def test_a_german_console_says_why_an_undo_failed_in_german():
    shown = _bar_after_failed_undo("de-DE", 403, "forbidden")

    german = str(table("de")["undo.failed"]).replace("{reason}", str(table("de")["error.forbidden"]))
    assert shown == german and SERVER_WORDS not in shown


def test_an_english_console_shows_the_servers_words_and_409_is_too_late_in_both():
    assert _bar_after_failed_undo("en-US", 403, "forbidden") == f"Could not undo: {SERVER_WORDS}"
    assert _bar_after_failed_undo("de-DE", 409, "conflict") == table("de")["undo.too_late"]
    assert _bar_after_failed_undo("en-US", 409, "conflict") == table("en")["undo.too_late"]


# The bar of a held reply whose time has come: the API says it was refused (views.held_json).
REFUSED = (
    r"""
const held = JSON.parse(process.env.HELD);
const api = async () => ({ data: held });
"""
    + DESK
    + r"""
const now = new Date().toISOString();
undo.track(held.ticket, { ...held, state: 'waiting', held_at: now, send_at: now }, 'text');
const look = () => (shown() === t('undo.sending') ? setTimeout(look, 5) : done(shown()));
setTimeout(look, 5);
"""
)


def _bar_after_refusal(language: str, held: HeldReply) -> str:
    return str(run(language, ["undo_send.js"], REFUSED, {"HELD": json.dumps(held_json(held))}))


def _refused(exc: InboundError) -> HeldReply:
    code, values = refusal_code(exc)
    return HeldReply(
        ticket_id="T-1",
        hold_id="h-1",
        agent="ann@example.com",
        text="On it.",
        state=HeldState.REFUSED,
        reason=str(exc),
        reason_code=code,
        reason_values=values,
    )


def test_a_german_console_says_why_a_held_reply_was_refused_in_german():
    """GIVEN a held reply the guard refused (suppressed) or a merge stopped WHEN its bar says
    why on a German console THEN it says the catalogue's German sentence, not the server's
    English; an English console keeps the server's words."""
    de = table("de")
    suppressed = _refused(Suppressed("alice@customer.org is on the suppression list (BOUNCE)"))
    merged = _refused(MergedTicket("T-1", "T-2"))

    shown = _bar_after_refusal("de-DE", suppressed)
    assert shown == str(de["undo.refused"]).replace("{reason}", str(de["error.suppressed"]))
    assert "suppression list" not in shown
    assert _bar_after_refusal("de-DE", merged) == str(de["undo.refused"]).replace(
        "{reason}", str(de["error.merged"]).replace("{merged_into}", "T-2")
    )
    assert _bar_after_refusal("en-US", suppressed).endswith(
        "alice@customer.org is on the suppression list (BOUNCE)"
    )


def test_a_refusal_kept_from_before_codes_were_stored_shows_its_text():
    old = replace(_refused(MergedTicket("T-1", "T-2")), reason_code="", reason_values=())
    assert _bar_after_refusal("de-DE", old).endswith("T-1 was merged into T-2; work on that ticket")
