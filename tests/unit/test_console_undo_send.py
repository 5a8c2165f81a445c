"""The console's undo bar (chalicelib/console/static/undo_send.js) says why an undo failed in
the agent's language: GIVEN a German console WHEN the API refuses the cancel with 403
forbidden THEN the bar says the catalogue's German sentence for `forbidden`, not the
server's English words; an English console shows the server's own words, and a 409 is
"too late" in either. The scripts run in node against a minimal page (no browser)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

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
