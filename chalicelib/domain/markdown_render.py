"""A small, strict markdown for staff replies: safe HTML and a readable plain-text part.

What it knows: paragraphs (a blank line between; a line break inside one is kept), lists
(`- ` / `* ` / `+ ` and `1. `), fenced code blocks (```), `code`, **strong**, *emphasis*
(`_x_` too; never inside a word: snake_case and 2*3*4 stay), links `[label](url)` and bare
`http(s)://` addresses. A link's address must start with http://, https:// or mailto:;
anything else stays text. Everything else, any HTML tag included, is escaped: the only
tags out are p, br, ul, ol, li, pre, code, strong, em and a (href, rel), written here, and
every character of the source reaches the HTML through `html.escape` (quotes included).
So whatever an agent pastes (a customer's mail, a script tag, `javascript:`) comes out as
text. Mail clients show the HTML part; the text part is what the agent wrote, without the
markers (links as `label <url>`), for clients that read text only.
"""

from __future__ import annotations

import html
import re

from chalicelib.domain.frozen import frozen

SIGNATURE_SEPARATOR = "-- "  # RFC 3676 4.3: "-- " alone on a line opens the signature
SAFE_SCHEMES = ("http://", "https://", "mailto:")
MAX_NESTING = 4
_UNORDERED = re.compile(r"^ {0,3}[-*+][ \t]+(.*)$")
_ORDERED = re.compile(r"^ {0,3}(\d{1,9})[.)][ \t]+(.*)$")
_FENCE = re.compile(r"^ {0,3}```[\w+-]*$")  # a fence line is the fence and a language word
# C0 and C1 controls but tab and line feed: nothing a reply needs, and some confuse clients.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INLINE = re.compile(
    r"(?P<escape>\\[\\`*_\[\]()<>#+\-.!:|{}~])"
    r"|(?P<code>(?<!`)(?P<ticks>`{1,3})(?!`)(?P<code_body>.{1,1000}?)(?<!`)(?P=ticks)(?!`))"
    r"|(?P<link>\[(?P<label>[^\[\]\n]*)\]\((?P<url>[^\s()<>]*)\))"
    r"|(?P<auto>https?://[^\s<>\"'`\[\]]+)"
    r"|(?P<strong>(?P<strong_mark>\*\*|__)(?=\S)(?P<strong_body>.{1,300}?)(?<=\S)(?P=strong_mark))"
    r"|(?P<em>(?P<em_mark>[*_])(?=\S)(?P<em_body>.{1,300}?)(?<=\S)(?P=em_mark))"
)
# Bodies and tick runs are bounded: a line of openers without closers costs O(n), not O(n²).
_TRAILING = ".,;:!?)'\""  # left out of a bare address: "see https://x.example/a." ends at a


@frozen
class Rendered:
    html: str
    text: str


def render(source: str, signature: str = "") -> Rendered:
    """The reply's HTML and plain text; `signature` follows under the RFC 3676 separator."""
    body = _blocks(_clean(source))
    html_parts, text_parts = [b[0] for b in body], [b[1] for b in body]
    if signature.strip():
        signed = _blocks(_clean(signature))
        html_parts.append('<div class="signature">' + "".join(b[0] for b in signed) + "</div>")
        text_parts.append(SIGNATURE_SEPARATOR + "\n" + "\n\n".join(b[1] for b in signed))
    return Rendered("\n".join(html_parts), "\n\n".join(text_parts) + "\n" if text_parts else "")


def safe_url(url: str) -> str:
    """`url` when it is an http, https or mailto address; "" otherwise."""
    if not url or any(ord(c) <= 0x20 or c in "\\<>\"'`" for c in url):
        return ""
    lowered = url.lower()
    if not any(lowered.startswith(s) and len(url) > len(s) for s in SAFE_SCHEMES):
        return ""
    return url


def _clean(source: str) -> list[str]:
    text = _CONTROLS.sub("", source.replace("\r\n", "\n").replace("\r", "\n"))
    return [line.rstrip() for line in text.expandtabs(4).split("\n")]


def _blocks(lines: list[str]) -> list[tuple[str, str]]:
    """Each block as (HTML, text)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif _FENCE.match(line):
            i = _code_block(lines, i, out)
        elif _UNORDERED.match(line) or _ORDERED.match(line):
            i = _list(lines, i, out)
        else:
            i = _paragraph(lines, i, out)
    return out


def _code_block(lines: list[str], i: int, out: list[tuple[str, str]]) -> int:
    end = next((j for j in range(i + 1, len(lines)) if _FENCE.match(lines[j])), len(lines))
    code = lines[i + 1 : end]
    out.append(
        (
            "<pre><code>" + html.escape("\n".join(code)) + "</code></pre>",
            "\n".join("    " + c if c else "" for c in code),
        )
    )
    return end + 1


def _starts_block(line: str) -> bool:
    return not line.strip() or bool(_FENCE.match(line) or _UNORDERED.match(line) or _ORDERED.match(line))


def _paragraph(lines: list[str], i: int, out: list[tuple[str, str]]) -> int:
    start = i
    i += 1
    while i < len(lines) and not _starts_block(lines[i]):
        i += 1
    rendered = [_inline(line.strip()) for line in lines[start:i]]
    out.append(("<p>" + "<br>\n".join(r[0] for r in rendered) + "</p>", "\n".join(r[1] for r in rendered)))
    return i


def _list(lines: list[str], i: int, out: list[tuple[str, str]]) -> int:
    ordered = bool(_ORDERED.match(lines[i]) and not _UNORDERED.match(lines[i]))
    pattern = _ORDERED if ordered else _UNORDERED
    first = int(_ORDERED.match(lines[i]).group(1)) if ordered else 1  # type: ignore[union-attr]
    items: list[list[str]] = []
    while i < len(lines):
        match = pattern.match(lines[i])
        if match:
            items.append([match.group(match.lastindex or 1)])
        elif items and lines[i].startswith((" ", "\t")) and not _starts_block(lines[i]):
            items[-1].append(lines[i].strip())  # an indented line continues the item
        else:
            break
        i += 1
    html_items, text_items = [], []
    for n, item in enumerate(items):
        rendered = [_inline(part) for part in item]
        html_items.append("<li>" + "<br>\n".join(r[0] for r in rendered) + "</li>")
        marker = f"{first + n}." if ordered else "-"
        text_items.append(f"{marker} " + ("\n" + " " * (len(marker) + 1)).join(r[1] for r in rendered))
    tag = "ol" if ordered else "ul"
    start = f' start="{first}"' if ordered and first != 1 else ""
    out.append((f"<{tag}{start}>" + "".join(html_items) + f"</{tag}>", "\n".join(text_items)))
    return i


def _inline(source: str, links: bool = True, depth: int = 0) -> tuple[str, str]:
    """One line's HTML and text; `links` False inside a link's label (no link in a link),
    `depth`: how deep in emphasis (bounded, so hostile nesting cannot exhaust the stack)."""
    html_out: list[str] = []
    text_out: list[str] = []
    pos = 0
    while pos < len(source):
        match = _INLINE.search(source, pos)
        if match is None:
            break
        rendered = _span(source, match, links, depth)
        if rendered is None:  # not markup after all (`_` inside a word, an unsafe link)
            plain = source[pos : match.start() + 1]
            html_out.append(html.escape(plain))
            text_out.append(plain)
            pos = match.start() + 1
            continue
        before = source[pos : match.start()]
        html_out.append(html.escape(before) + rendered[0])
        text_out.append(before + rendered[1])
        pos = rendered[2]
    html_out.append(html.escape(source[pos:]))
    text_out.append(source[pos:])
    return "".join(html_out), "".join(text_out)


def _span(source: str, m: re.Match[str], links: bool, depth: int) -> tuple[str, str, int] | None:
    """The HTML and text of one match and where the line goes on; None: leave it as text."""
    kind = m.lastgroup
    if kind in ("link", "auto") and not links:
        return None
    if kind == "escape":
        char = m.group()[1]
        return html.escape(char), char, m.end()
    if kind == "code":
        body = m.group("code_body")
        return "<code>" + html.escape(body) + "</code>", body, m.end()
    if kind == "link":
        url, label = safe_url(m.group("url")), m.group("label").strip()
        if not url:
            return None
        inner, inner_text = _inline(label, links=False) if label else (html.escape(url), url)
        shown = url.removeprefix("mailto:") if url.lower().startswith("mailto:") else url
        text = inner_text if inner_text in (url, shown) else f"{inner_text} <{shown}>"
        return f'<a href="{html.escape(url)}" rel="noopener noreferrer">{inner}</a>', text, m.end()
    if kind == "auto":
        url = m.group().rstrip(_TRAILING)
        if not safe_url(url) or (m.start() and source[m.start() - 1].isalnum()):
            return None
        return (
            f'<a href="{html.escape(url)}" rel="noopener noreferrer">{html.escape(url)}</a>',
            url,
            m.start() + len(url),
        )
    if depth >= MAX_NESTING or _inside_word(source, m):
        return None
    inner, inner_text = _inline(m.group(f"{kind}_body"), links, depth + 1)
    tag = "strong" if kind == "strong" else "em"
    return f"<{tag}>{inner}</{tag}>", (f"*{inner_text}*" if tag == "strong" else inner_text), m.end()


def _inside_word(source: str, m: re.Match[str]) -> bool:
    before = source[m.start() - 1] if m.start() else " "
    after = source[m.end()] if m.end() < len(source) else " "
    return before.isalnum() or after.isalnum()
