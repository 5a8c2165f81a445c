"""Body rendering with third-party libraries: nh3 (sanitising), mail-parser-reply.

Kept behind two functions so the domain stays free of them and so either
library can be swapped without touching the pipeline.
"""

from __future__ import annotations

import functools
import re
import secrets

from chalicelib.domain.html_text import SKIPPED_TAGS, TEXT_TAGS, html_to_text

# Reply parsers are regular-expression heavy; on pathological bodies their time
# grows quickly, so only the head of a long body is searched for the reply.
REPLY_SCAN_LIMIT = 64 * 1024
# mail-parser-reply's "On ... wrote:" patterns (`^On\s(?:.+?\s?.+?)\s?wrote:$`, and the
# Dutch, Polish and Italian ones alike) cost time quadratic in the length of a line that
# begins like one: a single 64 KB line "On a a a ..." took 69 s of CPU, so two such mails
# in one batch outlasted ingest's 120 s on every retry. Attribution lines are a hundred
# characters or so; longer lines are handed to the parser as a placeholder and put back in
# the reply it finds (64 KB of 256-character lines: 0.3 s).
MAX_SCANNED_LINE = 256

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"align", "valign", "dir", "lang", "title", "width", "height", "style"},
    "a": {"href", "name"},
    "img": {"src", "alt", "border"},
    "font": {"color", "face", "size"},
    "td": {"colspan", "rowspan", "bgcolor"},
    "th": {"colspan", "rowspan", "bgcolor"},
    "table": {"border", "cellpadding", "cellspacing", "bgcolor"},
}
# `cid:` keeps inline images resolvable against the message's own parts; remote
# images stay in the markup and are blocked by the console's CSP until allowed.
_URL_SCHEMES = {"http", "https", "mailto", "cid"}
_STYLE_PROPERTIES = {
    "color", "background-color", "font-weight", "font-style", "font-size", "font-family",
    "text-align", "text-decoration", "margin", "padding", "border", "width", "height",
}  # fmt: skip


# At each of these start tags html5ever (inside nh3) looks through the open elements
# for a <p> in scope, so nesting them n deep costs O(n^2): 40,000 unclosed <div> took
# 15 s, a 5 MB run of them hours, in Rust where no Lambda-side timeout can stop it.
_SCOPED_BLOCKS = (
    "address|article|aside|blockquote|center|details|dialog|dir|div|dl|fieldset|figcaption|"
    "figure|footer|header|hgroup|listing|main|menu|nav|ol|pre|search|section|summary|ul"
)
_BLOCK_TAG = re.compile(rf"<(/?)(?:{_SCOPED_BLOCKS})\b[^<>]*>", re.IGNORECASE)
MAX_BLOCK_NESTING = 1_000  # real mail nests a few dozen deep


def _flatten_deep_blocks(html: str) -> str:
    """Without those tags (their content stays) when they nest deeper than real mail does."""
    depth = 0
    for tag in _BLOCK_TAG.finditer(html):
        depth = max(depth - 1, 0) if tag[1] else depth + 1
        if depth > MAX_BLOCK_NESTING:
            return _BLOCK_TAG.sub("", html)
    return html


def sanitise_html(html: str) -> str:
    """HTML safe to show inside the console's sandboxed frame."""
    if not html:
        return ""
    import nh3  # a compiled (Rust) library: loaded by the first HTML body, not every cold start

    return nh3.clean(
        _flatten_deep_blocks(html),
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        filter_style_properties=_STYLE_PROPERTIES,
        link_rel="noopener noreferrer nofollow",
    )


def html_text(html: str) -> str:
    """The text view of an HTML-only mail, read from html5ever's well-formed rewrite of it.

    The stdlib parser behind html_to_text, given the sender's HTML, spent time quadratic in
    its unterminated tags (60 KB of `<a ` took 42 s of CPU, 120 KB past the ingest Lambda's
    120 s) and raised AssertionError on `<![x[`, failing the delivery on every retry.
    html5ever closes what the sender left open and drops comments and marked sections, in
    linear time, keeping the tags the text view reads.
    """
    if not html:
        return ""
    import nh3

    rewritten = nh3.clean(
        _flatten_deep_blocks(html),
        tags=set(TEXT_TAGS),
        clean_content_tags=set(SKIPPED_TAGS),
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    return html_to_text(rewritten)


@functools.lru_cache(maxsize=1)
def _reply_parser():  # type: ignore[no-untyped-def]
    from mailparser_reply import EmailReplyParser

    return EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl", "sv", "pl"])


def latest_reply(text: str) -> str:
    """The new text of a reply, without quoted history and signature.

    Falls back to the whole text when the parser finds nothing, so a message is
    never shown empty because of a heuristic.
    """
    if not text.strip():
        return ""
    head = text[:REPLY_SCAN_LIMIT]
    scanned, set_aside, mark = _set_aside_long_lines(head)
    try:
        reply = _reply_parser().parse_reply(scanned)
    except (re.error, IndexError, ValueError):  # its regexes on odd input
        return head.strip()
    reply = (reply or "").strip()
    if set_aside:
        reply = re.sub(f"{mark}(\\d+){mark}", lambda m: set_aside[int(m[1])], reply)
    return reply or head.strip()


def _set_aside_long_lines(text: str) -> tuple[str, list[str], str]:
    """`text` with each line over MAX_SCANNED_LINE replaced by a placeholder, the lines so
    replaced (stripped, as the parser strips every line), and the placeholders' mark: random,
    so that no sender can write one."""
    lines = text.split("\n")
    if all(len(line) <= MAX_SCANNED_LINE for line in lines):
        return text, [], ""
    mark, set_aside = f"\ue000{secrets.token_hex(4)}\ue000", list[str]()
    for n, line in enumerate(lines):
        if len(line) > MAX_SCANNED_LINE:
            lines[n] = f"{mark}{len(set_aside)}{mark}"
            set_aside.append(line.strip())
    return "\n".join(lines), set_aside, mark
