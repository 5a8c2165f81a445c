"""The text view of HTML-only mail (chalicelib/domain/html_text.py)."""

from __future__ import annotations

from chalicelib.domain.html_text import CUT_NOTE, MAX_HTML_CHARS, html_to_text


def test_blocks_become_lines_and_links_keep_their_target():
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<p>Hello   there,</p><ul><li>one</li><li>two</li></ul>"
        '<p>See <a href="https://example.com/x">the page</a> or <a href="javascript:x()">this</a>.</p>'
        "<script>alert(1)</script></body></html>"
    )
    assert html_to_text(html) == (
        "Hello there,\n\n- one\n\n- two\n\nSee the page <https://example.com/x> or this."
    )


def test_character_references_are_decoded():
    assert html_to_text("<div>5 &lt; 6 &amp;&nbsp;caf&#233;</div>") == "5 < 6 &\xa0café"


def test_html_past_the_limit_is_read_up_to_it_and_the_view_says_where_it_ends():
    html = "<p>first</p>" + "<div>" * (MAX_HTML_CHARS // 5) + "<p>never read</p>"
    text = html_to_text(html)
    assert text.startswith("first")
    assert "never read" not in text
    assert text.endswith(CUT_NOTE)
    assert CUT_NOTE not in html_to_text("<p>short</p>")
