"""An announcement's report (announce.js) says why it stopped and why a recipient was refused
in the agent's language: GIVEN a German console WHEN the report shows an announcement the
sender stopped ("stopped: author disabled") and recipients the guard refused ("suppressed:
…", "unsubscribed: …") THEN it says the catalogue's German sentences, not the server's
English; a bounce's diagnostic (the receiving server's own words) is shown as written, and
an English console shows every line as the server wrote it. Node, a minimal page
(tests/support/console_node.py)."""

from __future__ import annotations

import json
import re

from chalicelib.domain.refusals import RefusalReason
from tests.support.console_catalogue import STATIC, read_back, table
from tests.support.console_node import run

SENDING = STATIC.parents[1] / "services" / "announcement_sending.py"
BOUNCE = "smtp; 550 5.1.1 user unknown"
SUPPRESSED = "suppressed: bob@example.org is on the suppression list (BOUNCE)"
UNSUBSCRIBED = "unsubscribed: opted out of announcements"

ANNOUNCEMENT = {
    "id": "A-1",
    "subject": "Maintenance",
    "state": "stopped",
    "stopped_reason": "stopped: author disabled",
    "audience": "list",
    "created_by": "ann@example.com",
    "created_at": "2026-12-07T16:00:00.000Z",
    "total": 3,
    "opened": 0,
    "clicked": 0,
    "counts": dict.fromkeys(
        ("pending", "sending", "sent", "delivered", "bounced", "complained", "unsubscribed", "refused"), 0
    ),
    "recipients": [
        {"address": "bob@example.org", "state": "refused", "opens": 0, "clicks": 0, "reason": SUPPRESSED},
        {"address": "eve@example.org", "state": "refused", "opens": 0, "clicks": 0, "reason": UNSUBSCRIBED},
        {"address": "joe@example.net", "state": "bounced", "opens": 0, "clicks": 0, "reason": BOUNCE},
    ],
}

REPORT = r"""
el('button', { id: 'sign-out' });
el('div', { id: 'desk-tools', hidden: true });
document.createElementNS = (ns, tag) => node(tag);
const announcement = JSON.parse(process.env.ANNOUNCEMENT);
const api = async () => ({ data: announcement });
const announce = window.InboundAnnounce({ api, el, $, toast() {}, showAlert() {}, state: {} });
(async () => {
  await announce.report('A-1');
  const line = made.find((n) => n.tag === 'p' && n.className === 'muted' && n.text.includes(' · '));
  done({ line: line.text, reasons: made.filter((n) => n.className === 'announce-reason').map((n) => n.text) });
})();
"""


def _report(language: str) -> dict[str, object]:
    shown = run(language, ["announce.js"], REPORT, {"ANNOUNCEMENT": json.dumps(ANNOUNCEMENT)})
    assert isinstance(shown, dict)
    return shown


def test_a_german_report_says_why_it_stopped_and_why_recipients_were_refused_in_german():
    de = table("de")

    shown = _report("de-DE")

    assert f"({de['stopped.disabled']})" in str(shown["line"]) and "author" not in str(shown["line"])
    assert shown["reasons"] == [de["error.suppressed"], de["error.unsubscribed"], BOUNCE]


def test_an_english_report_shows_the_servers_lines():
    shown = _report("en-US")
    assert "(stopped: author disabled)" in str(shown["line"])
    assert shown["reasons"] == [SUPPRESSED, UNSUBSCRIBED, BOUNCE]


def test_every_stop_and_refusal_the_sender_writes_has_its_sentence():
    """The sender's lines (services/announcement_sending.py): each "stopped: author …" reads
    back to a stopped.* template, and each recipient refusal's code has its error.* sentence."""
    source = SENDING.read_text("utf-8")
    whys = re.findall(r'"(author [a-z ]+)"', source)
    assert len(whys) == 2 and 'f"stopped: {why}"' in source
    assert [read_back("stopped.", f"stopped: {why}") for why in whys] == [
        "stopped.disabled",
        "stopped.not_admin",
    ]
    refusal = source.split("def _refusal(", 1)[1].split("\n    def ", 1)[0]
    codes = {*re.findall(r'return f?"([a-z_]+): ', refusal), *RefusalReason}
    assert {"unsubscribed", "reputation"} <= codes
    for language in ("en", "de"):
        assert [code for code in sorted(codes) if f"error.{code}" not in table(language)] == []
