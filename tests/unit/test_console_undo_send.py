"""The console's undo bar (chalicelib/console/static/undo_send.js) says why an undo failed in
the agent's language: GIVEN a German console WHEN the API refuses the cancel with 403
forbidden THEN the bar says the catalogue's German sentence for `forbidden`, not the
server's English words; an English console shows the server's own words, and a 409 is
"too late" in either. The scripts run in node against a minimal page (no browser)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace

import pytest

from chalicelib.api.views import held_json
from chalicelib.domain.held_replies import HeldReply, HeldState
from chalicelib.errors import InboundError, MergedTicket, Suppressed
from chalicelib.services.held_replies import refusal_code
from tests.support.console_catalogue import STATIC, table

NODE = shutil.which("node")
SERVER_WORDS = "only the agent who wrote a reply can undo it"

# A page just big enough for i18n.js and undo_send.js: the bar's text is what the agent sees.
HARNESS = r"""
const fs = require('fs');
const [dir, language, status, code] = process.argv.slice(1); // node -e: no script path
const node = (tag) => ({ tag, text: '', children: [], hidden: false, attrs: {},
  replaceChildren(...kids) { this.children = kids; }, append(...kids) { this.children.push(...kids); },
  setAttribute(k, v) { this.attrs[k] = v; } });
globalThis.window = globalThis;
globalThis.navigator = { languages: [language], language };
globalThis.localStorage = { getItem: () => null, setItem() {}, removeItem() {} };
globalThis.document = { documentElement: {}, querySelectorAll: () => [], body: node('body') };
for (const file of ['i18n-en.js', 'i18n-de.js', 'i18n.js', 'undo_send.js']) {
  eval(fs.readFileSync(`${dir}/${file}`, 'utf8'));
}
const el = (tag, opts = {}) => Object.assign(node(tag), { text: opts.text || '', on: opts.on || {} });
const api = async (method) => {
  if (method !== 'DELETE') return { data: {} };
  const err = new Error('refused');
  Object.assign(err, { status: Number(status), code, reason: process.env.SERVER_WORDS });
  throw err;
};
const desk = { api, el, $: () => null, toast() {}, openTicket: async () => {}, state: {},
  attachments: { restore() {} } };
const undo = window.InboundUndoSend(desk);
const later = new Date(Date.now() + 3600e3).toISOString();
undo.track('T-1', { held: 'h-1', held_at: new Date().toISOString(), send_at: later }, 'text');
const bar = document.body.children[0];
const button = bar.children.find((child) => child.tag === 'button');
button.on.click().then(() => {
  process.stdout.write(JSON.stringify(bar.children.map((child) => child.text).join('')));
  process.exit(0);
});
"""


def _bar_after_failed_undo(language: str, status: int, code: str) -> str:
    if NODE is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        [NODE, "-e", HARNESS, str(STATIC), language, str(status), code],
        capture_output=True,
        text=True,
        timeout=30,
        env={"SERVER_WORDS": SERVER_WORDS, "PATH": ""},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout))


def test_a_german_console_says_why_an_undo_failed_in_german():
    shown = _bar_after_failed_undo("de-DE", 403, "forbidden")

    german = str(table("de")["undo.failed"]).replace("{reason}", str(table("de")["error.forbidden"]))
    assert shown == german and SERVER_WORDS not in shown


def test_an_english_console_shows_the_servers_words_and_409_is_too_late_in_both():
    assert _bar_after_failed_undo("en-US", 403, "forbidden") == f"Could not undo: {SERVER_WORDS}"
    assert _bar_after_failed_undo("de-DE", 409, "conflict") == table("de")["undo.too_late"]
    assert _bar_after_failed_undo("en-US", 409, "conflict") == table("en")["undo.too_late"]


# The bar of a held reply whose time has come: the API says it was refused (views.held_json).
REFUSED_HARNESS = r"""
const fs = require('fs');
const [dir, language] = process.argv.slice(1);
const node = (tag) => ({ tag, text: '', children: [], hidden: false, attrs: {},
  replaceChildren(...kids) { this.children = kids; }, append(...kids) { this.children.push(...kids); },
  setAttribute(k, v) { this.attrs[k] = v; } });
globalThis.window = globalThis;
globalThis.navigator = { languages: [language], language };
globalThis.localStorage = { getItem: () => null, setItem() {}, removeItem() {} };
globalThis.document = { documentElement: {}, querySelectorAll: () => [], body: node('body') };
for (const file of ['i18n-en.js', 'i18n-de.js', 'i18n.js', 'undo_send.js']) {
  eval(fs.readFileSync(`${dir}/${file}`, 'utf8'));
}
const held = JSON.parse(process.env.HELD);
const el = (tag, opts = {}) => Object.assign(node(tag), { text: opts.text || '', on: opts.on || {} });
const api = async () => ({ data: held });
const desk = { api, el, $: () => null, toast() {}, openTicket: async () => {}, state: {},
  attachments: { restore() {} } };
const undo = window.InboundUndoSend(desk);
const now = new Date().toISOString();
undo.track(held.ticket, { ...held, state: 'waiting', held_at: now, send_at: now }, 'text');
const bar = document.body.children[0];
const look = () => {
  const said = bar.children.map((child) => child.text).join('');
  if (said === window.InboundI18n.t('undo.sending')) { setTimeout(look, 5); return; }
  process.stdout.write(JSON.stringify(said));
  process.exit(0);
};
setTimeout(look, 5);
"""


def _bar_after_refusal(language: str, held: HeldReply) -> str:
    if NODE is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        [NODE, "-e", REFUSED_HARNESS, str(STATIC), language],
        capture_output=True,
        text=True,
        timeout=30,
        env={"HELD": json.dumps(held_json(held)), "PATH": ""},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout))


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
