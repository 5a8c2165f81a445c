"""The composer's markdown: what an agent writes becomes strict, safe HTML and readable text.

GIVEN hostile input (a customer's mail pasted into a reply, script and style tags, event
handler attributes, javascript: and data: links in every disguise), WHEN it is rendered,
THEN the HTML holds only the renderer's own tags, and every character of the input is text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.markdown_render import render

ALLOWED = {"p": set(), "br": set(), "ul": set(), "ol": {"start"}, "li": set(), "pre": set(), "code": set()}
ALLOWED |= {"strong": set(), "em": set(), "a": {"href", "rel"}, "div": {"class"}}


class _Tags(HTMLParser):
    """Every tag and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    tags.close()
    return tags


def assert_safe(html: str) -> None:
    for tag, attrs in parsed(html).found:
        assert tag in ALLOWED, (tag, html)
        assert set(attrs) <= ALLOWED[tag], (tag, attrs, html)
        if tag == "a":
            assert re.match(r"(?i)^(https?://|mailto:)", attrs["href"] or ""), html


HOSTILE = [
    "<script>alert(1)</script>",
    "<style>body{display:none}</style>",
    '<img src=x onerror="alert(1)">',
    "<a href=\"javascript:alert(1)\" onclick='x()'>click</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox)",
    '[x](https://ok.example" onmouseover="alert(1))',
    '[x](https://ok.example/"><script>alert(1)</script>)',
    'https://ok.example/"onmouseover=alert(1)//',
    "`<script>alert(1)</script>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "**<b onmouseover=alert(1)>bold</b>**",
    "- <svg onload=alert(1)>\n- [y](javascript:1)",
    "<!-- comment --><iframe src=//evil.example>",
    "\x00<scr\x00ipt>alert(1)</script>",
    "[a](https://x.example)[b](javascript:1)",
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_comes_out_as_text(source):
    rendered = render(source)

    assert_safe(rendered.html)
    lowered = rendered.html.lower()
    assert "<script" not in lowered and "<style" not in lowered and "<img" not in lowered
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", lowered), rendered.html
    assert (
        'href="javascript' not in lowered and 'href="data' not in lowered and 'href="vbscript' not in lowered
    )


def test_a_pasted_customer_mail_reads_as_it_was_written():
    pasted = '> On Monday Anna wrote:\n> <b>Please</b> call "me" & my <i>boss</i>'

    rendered = render(pasted)

    assert parsed(rendered.html).found == [("p", {}), ("br", {})]
    assert "".join(parsed(rendered.html).text) == pasted.replace("\n", "\n")
    assert rendered.text == pasted + "\n"


def test_paragraphs_emphasis_links_lists_and_code():
    source = (
        "Hello **Anna**,\n\nthanks for *waiting*. The guide: [setup](https://docs.example/a?b=1&c=2),\n"
        "or write to [us](mailto:help@example.com).\n\n"
        "- restart the printer\n- press `reset`\n\n3. third\n4. fourth\n\n```\nlpstat -p\n```"
    )

    rendered = render(source)

    assert rendered.html == (
        "<p>Hello <strong>Anna</strong>,</p>\n"
        '<p>thanks for <em>waiting</em>. The guide: <a href="https://docs.example/a?b=1&amp;c=2" '
        'rel="noopener noreferrer">setup</a>,<br>\nor write to '
        '<a href="mailto:help@example.com" rel="noopener noreferrer">us</a>.</p>\n'
        "<ul><li>restart the printer</li><li>press <code>reset</code></li></ul>\n"
        '<ol start="3"><li>third</li><li>fourth</li></ol>\n'
        "<pre><code>lpstat -p</code></pre>"
    )
    assert rendered.text == (
        "Hello *Anna*,\n\nthanks for waiting. The guide: setup <https://docs.example/a?b=1&c=2>,\n"
        "or write to us <help@example.com>.\n\n- restart the printer\n- press reset\n\n"
        "3. third\n4. fourth\n\n    lpstat -p\n"
    )


def test_words_with_underscores_and_stars_and_bare_addresses_stay_as_written():
    rendered = render("set max_retry_count to 2*3*4, see https://status.example/incidents.")

    assert rendered.html == (
        "<p>set max_retry_count to 2*3*4, see "
        '<a href="https://status.example/incidents" rel="noopener noreferrer">'
        "https://status.example/incidents</a>.</p>"
    )
    assert rendered.text == "set max_retry_count to 2*3*4, see https://status.example/incidents.\n"


def test_the_signature_follows_the_rfc_3676_separator_in_both_parts():
    rendered = render("Best regards", signature="Ana Berg\nSupport **team**")

    assert rendered.text == "Best regards\n\n-- \nAna Berg\nSupport *team*\n"
    assert rendered.html.endswith(
        '<div class="signature"><p>Ana Berg<br>\nSupport <strong>team</strong></p></div>'
    )


def test_deep_nesting_and_long_lines_of_openers_finish_as_text():
    for source in ("_*" * 2000 + "x" + "*_" * 2000, "*a " * 20_000, "`" * 30_000, "[" * 30_000):
        rendered = render(source)
        assert_safe(rendered.html)
        assert len(rendered.text) >= len(source.replace("\n", "")) // 3


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'&=/:;`*_[]()-#\n abcjsvriptonerlhf.!1\\")), max_size=200))
def test_any_input_renders_to_allowed_tags_only(source):
    assert_safe(render(source, signature=source).html)
