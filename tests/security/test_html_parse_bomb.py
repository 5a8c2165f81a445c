"""Attack: an HTML-only mail of unterminated tags, or with a marked section the stdlib
does not know.

The text view of HTML-only mail was read by CPython 3.11's HTMLParser from the sender's
HTML. Left with unterminated constructs at `close()`, it searches the rest of the input once
per construct: 60 KB of `<a ` took 42 s of CPU and 120 KB more than the ingest Lambda's
120 s, failing the delivery and its batch on every retry. `<![x[` raised AssertionError out
of it, so a 20-byte mail could never be filed. The text view now reads html5ever's
well-formed rewrite (body_render.html_text). The work is measured as what the stdlib parser
is left to finish at `close()` (the input its quadratic path runs over), never by a clock.

GIVEN the in-memory stack WHEN such a mail arrives THEN it is a ticket whose text view reads
as the mail does."""

from __future__ import annotations

import sys
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver

HEAD = "From: mallory@evil.test\r\nTo: support@example.com\r\nSubject: hi\r\nContent-Type: text/html\r\n\r\n"


def _most_left_at_close(action: Callable[[], Any]) -> int:
    """The longest rest of input the stdlib HTML parser was left to finish at close()."""
    code, most = HTMLParser.goahead.__code__, [0]

    def hook(frame: Any, event: str, _: Any) -> None:
        if event == "call" and frame.f_code is code and frame.f_locals.get("end"):
            most[0] = max(most[0], len(frame.f_locals["self"].rawdata))

    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
    return most[0]


@pytest.mark.parametrize("unit", ["<a ", "<!--", "</", "<![CDATA[ >", "<?"])
def test_unterminated_tags_leave_the_stdlib_parser_nothing_to_finish(unit):
    stack = FakeStack()
    raw = (HEAD + "<p>Hello</p>" + unit * 5_000).encode()
    done = {}

    left = _most_left_at_close(lambda: done.setdefault("outcome", deliver(stack, raw)))

    assert left <= 100, f"the stdlib parser was left {left} characters to finish"
    outcome = done["outcome"]
    assert outcome.outcome == "created"
    [message] = stack.tickets.messages(outcome.ticket)
    assert message.body.text.startswith("Hello")


def test_an_unknown_marked_section_is_filed_not_raised():
    stack = FakeStack()

    outcome = deliver(stack, (HEAD + "<![foo[ x ]]><p>Please call me back</p>").encode())

    assert outcome.outcome == "created"
    [message] = stack.tickets.messages(outcome.ticket)
    assert message.body.text == "Please call me back"
