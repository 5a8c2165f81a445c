"""The reply form's saved replies and preview (replies.js) and its files (attachments.js) say
what went wrong in the agent's language: GIVEN a German console WHEN the API refuses (403
forbidden) THEN the toast or the file's line says the catalogue's German sentence, never
the server's English words; an English console keeps the server's words. A post to the
file storage that fails on the way (the browser's own English) is said by the catalogue
too. The scripts run in node on a minimal page (tests/support/console_node.py)."""

from __future__ import annotations

from tests.support.console_catalogue import table
from tests.support.console_node import run

SERVER_WORDS = "ann@example.com may not read the saved replies of billing"

REPLIES = r"""
const api = async () => { throw apiError(403, 'forbidden', process.env.SERVER_WORDS); };
el('button', { id: 'sign-out' });
el('div', { id: 'desk-tools', hidden: true });
const replies = window.InboundReplies({ api, el, $, toast: (m) => toasts.push(m), showAlert() {}, state: {} });
const area = el('textarea', { value: '/', selectionStart: 1 });
replies.attach({ elements: { text: area } }, { id: 'T-1' });
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
(async () => {
  await fire(area, 'input', { data: '/', isTrusted: true }); // "/" opens the saved replies
  await settle();
  await fire(made.find((n) => n.tag === 'button' && n.text === t('replies.preview')), 'click');
  await settle();
  done(toasts);
})();
"""

ATTACHMENTS = r"""
const failure = process.env.FAILURE;
const api = async () => {
  if (failure === 'api') throw apiError(403, 'forbidden', process.env.SERVER_WORDS);
  return { data: { url: 'http://storage.invalid/', fields: {}, key: 'uploads/T-1/x/a.pdf' } };
};
globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); }; // the browser's words
const files = window.InboundAttachments({ api, el, $ });
const form = el('form', {}, el('div', { className: 'compose-bar' }, el('button', { type: 'submit' })));
files.decorate(form, 'T-1');
const picker = $('.reply-file-input');
picker.files = [{ name: 'a.pdf', size: 10, type: 'application/pdf' }];
(async () => {
  await fire(picker, 'change');
  await new Promise((resolve) => setTimeout(resolve, 20));
  const line = $('.file-reason');
  done(line ? line.text.trim() : null);
})();
"""


def _toasts(language: str) -> list[str]:
    shown = run(language, ["replies.js"], REPLIES, {"SERVER_WORDS": SERVER_WORDS})
    assert isinstance(shown, list)
    return [str(toast) for toast in shown]


def _file_line(language: str, failure: str) -> str:
    return str(
        run(language, ["attachments.js"], ATTACHMENTS, {"SERVER_WORDS": SERVER_WORDS, "FAILURE": failure})
    )


def test_a_german_console_says_why_saved_replies_and_the_preview_failed_in_german():
    de = table("de")
    forbidden = str(de["error.forbidden"])

    shown = _toasts("de-DE")

    assert shown == [
        str(de["replies.load_failed"]).replace("{reason}", forbidden),
        str(de["replies.preview_failed"]).replace("{reason}", forbidden),
    ]
    assert not any(SERVER_WORDS in toast for toast in shown)


def test_an_english_console_says_the_servers_words_for_saved_replies_and_the_preview():
    assert _toasts("en-US") == [
        f"Saved replies could not be loaded: {SERVER_WORDS}",
        f"No preview: {SERVER_WORDS}",
    ]


def test_a_file_the_api_refuses_says_why_in_german():
    assert _file_line("de-DE", "api") == table("de")["error.forbidden"]
    assert _file_line("en-US", "api") == SERVER_WORDS


def test_a_file_whose_post_to_storage_fails_on_the_way_says_so_in_the_agents_language():
    assert _file_line("de-DE", "storage") == table("de")["attach.storage_unreachable"]
    assert _file_line("en-US", "storage") == table("en")["attach.storage_unreachable"]
