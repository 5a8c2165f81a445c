"""What the console shows of a sender's HTML (body_render.sanitise_html): nothing that runs,
navigates away or lays itself over the console's frame; the words stay.

A mail's HTML is the sender's: event handlers, script URLs, forms and frames would run or
post from inside the console's frame, and a fixed-position block would sit over the
message as a fake "sign in again". tests/services/test_ingest.py checks a script and an
onerror image through the pipeline; tests/e2e/test_console_xss.py in the browser.
"""

from __future__ import annotations

import pytest

from chalicelib.adapters.mail.body_render import sanitise_html

HOSTILE = {
    "onclick on a link": ('<a href="https://shop.test/o/1" onclick="steal()">your order</a>', "onclick"),
    "onmouseover on a block": ('<div onmouseover="steal()">your order</div>', "onmouseover"),
    "javascript: link": ('<a href="javascript:steal()">your order</a>', "javascript:"),
    "data: image": ('<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="your order">', "data:"),
    "fixed overlay": ('<p style="position:fixed;top:0;left:0">your order</p>', "position"),
    "form": ('<form action="https://evil.test/p"><input name="pw">your order</form>', "<form"),
    "frame": ('<iframe src="https://evil.test/"></iframe><p>your order</p>', "<iframe"),
}


@pytest.mark.parametrize(("html", "gone"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_senders_html_keeps_its_words_and_loses_what_would_run_or_overlay(html: str, gone: str) -> None:
    shown = sanitise_html(html)
    assert gone not in shown.lower(), shown
    assert "your order" in shown, shown
