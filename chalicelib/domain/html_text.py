"""HTML-only mail turned into readable plain text (standard library only)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt footer form h1 h2 h3 h4 h5 h6 header hr "
    "li main nav ol p pre section table tr ul".split()
)
SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
# The tags the text view reads (and so the only ones its input needs to keep).
TEXT_TAGS = BLOCK_TAGS | {"li", "a"}

# The stdlib parser spends some 6 µs of CPU per tag: 5 MB of bare `<div>` took
# 6.6 s, half of what one message may use in the ingest Lambda. The text view is
# derived for reading and quoting; the HTML itself is stored whole, so past this
# many characters the text view stops and says so.
MAX_HTML_CHARS = 1_000_000
CUT_NOTE = "[The text view ends here; the HTML view shows the whole message.]"


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skip_depth += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skip_depth:
            self.skip_depth -= 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "a" and self.href:
            if self.href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" <{self.href}>")
            self.href = None

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from HTML: blocks become lines, links keep their target.

    Give it well-formed HTML (body_render.html_text does): CPython 3.11's parser, left
    with unterminated tags or comments at `close()`, searches the rest once per one of them
    (60 KB of `<a ` took 42 s), and an unknown marked section (`<![x[`) raises AssertionError.

    Only the first MAX_HTML_CHARS characters are read, ending with CUT_NOTE.
    """
    collector = _TextCollector()
    collector.feed(html[:MAX_HTML_CHARS])
    collector.close()
    lines = (line.strip() for line in "".join(collector.parts).split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return f"{text}\n\n{CUT_NOTE}" if len(html) > MAX_HTML_CHARS else text
