"""Attack: a text body with one long line that begins like an "On ... wrote:" line.

The reply view (body_render.latest_reply) hands the body's first 64 KB to mail-parser-reply,
whose attribution patterns (`^On\\s(?:.+?\\s?.+?)\\s?wrote:$` and the Dutch, Polish and
Italian ones alike) take time quadratic in such a line's length: one 64 KB line "On a a a
..." cost 69 s of CPU, so two such mails in a batch outlasted ingest's 120 s on every retry,
failing the other mails of the batch with them. Lines longer than an attribution line ever
is are handed to the parser as placeholders and put back in the reply. The work is measured
as the longest line the parser is handed, never by a clock."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from mailparser_reply import EmailReplyParser

from chalicelib.adapters.mail.body_render import MAX_SCANNED_LINE, latest_reply

BOMB = "On " + "a " * 1_000  # 2 KB: 64 KB of it took 69 s


def _longest_line_parsed(action: Callable[[], Any]) -> int:
    code, longest = EmailReplyParser.parse_reply.__code__, [0]

    def hook(frame: Any, event: str, _: Any) -> None:
        if event == "call" and frame.f_code is code:
            text = str(frame.f_locals.get("text", ""))
            longest[0] = max(longest[0], *(len(line) for line in text.split("\n")))

    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
    return longest[0]


def test_a_long_line_that_begins_like_on_wrote_is_not_handed_to_the_parser():
    longest = _longest_line_parsed(lambda: latest_reply(f"Hello\n{BOMB}\nbye\n"))

    assert 0 < longest <= MAX_SCANNED_LINE, f"the parser was handed a line of {longest} characters"


def test_long_lines_stay_in_the_reply_and_the_quoted_history_still_goes():
    long_line = "My order numbers: " + " ".join(f"A-{n:05d}" for n in range(100))
    text = (
        f"Hi,\n{long_line}\n{BOMB[:400]}\nThanks, Alice\n\n"
        "On Mon, 7 Dec 2026 at 10:00, Support <support@example.com> wrote:\n"
        "> What are your order numbers?\n"
    )

    reply = latest_reply(text)

    assert long_line in reply and BOMB[:400].strip() in reply
    assert "What are your order numbers" not in reply
