"""Search terms: what a customer's message is found by, and what a query asks for.

One tokeniser serves both sides, so a query term is spelled exactly as the index
spelled it:

- ticket ids (`T-1042` -> `t-1042`);
- addresses whole (`anna@kunde.de`), and their domain and parent domains
  (`kunde.de`); a query `@kunde.de` or `kunde.de` asks for the domain; a Unicode
  domain is spelled in IDNA A-labels, as stored addresses are (`kunde@bücher.de` is
  `kunde@xn--bcher-kva.de`; so is a query `@bücher.de`);
- dotted names whole (`rechnung_2024.pdf`, `example.com`), and their words;
- words in any script, case-folded; Latin words folded the German way (ä -> a,
  ö -> o, ü -> u, ß -> ss, and ae/oe/ue -> a/o/u as in Snowball's German2), so
  "Rückerstattung", "Rueckerstattung" and "RÜCKERSTATTUNG" are one term; compounds
  are whole words ("Rechnungsadresse" is not found by "Rechnung");
- Chinese, Japanese and Korean text, written without spaces, as overlapping
  character bigrams ("請求書" -> "請求", "求書"); a query matches where all of its
  bigrams occur.

A message gives at most MAX_TERMS_PER_MESSAGE distinct terms (ticket id, sender,
subject, attachment names, then its text, in that order): each term is one item
in the transaction that stores the message, and DynamoDB's TransactWriteItems
takes at most 100 items.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator

from chalicelib.domain.address_ascii import ascii_domain
from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import StoredMessage, Ticket

MAX_TERMS_PER_MESSAGE = 50
MAX_QUERY_TERMS = 8
MAX_TERM_CHARS = 40  # words are cut here (both sides alike); addresses and names at 200
MAX_NAME_CHARS = 200
# A run of text without white space is read up to here. RFC 5321 caps an address at
# 254 octets, and no term is longer than MAX_NAME_CHARS; beyond that the address and
# dotted-name patterns only backtrack, in time quadratic in the run's length (a
# 200 KB Subject of one word took over 12 s of CPU).
MAX_CHUNK_CHARS = 256

_TICKET_ID = r"(?i)(?<![\w-])T-([0-9]{1,12})(?![\w-])"
_ADDRESS = r"[\w.+'&-]*@[\w-]+(?:\.[\w-]+)+"
_DOTTED = r"[\w-]+(?:\.[\w-]+)+"
# Han, Hiragana, Katakana (and half-width), Hangul: scripts written without spaces.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
_PIECE = rf"[{_CJK}]+|[^\W_{_CJK}]+"
_CJK_RUN = rf"[{_CJK}]+"
_GERMAN_PAIRS = r"(?<!q)ue|ae|oe"


@functools.cache
def _re(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled by its first use, not at import: for the CJK ranges `re` fills a
    65,536-entry table in Python, some 57M instructions of every function's cold start."""
    return re.compile(pattern)


# Words too common to be worth an index item (English and German); never a query term either.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have i in is it of on or re the to was we with you your "
    "aw fw fwd wg sv "
    "am auf aus bei bin das dem den der des die du ein eine einen er es fur hat ich ihr im ist "
    "mit nicht noch sie sind und uns von wir zu".split()
)


@frozen
class MessageText:
    """What of a stored customer message is searchable."""

    ticket_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    attachment_names: tuple[str, ...] = ()


def fold_word(word: str) -> str:
    """A word as the index spells it: case-folded, German umlauts and ß folded."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    if folded.isascii():
        folded = _re(_GERMAN_PAIRS).sub(lambda m: m.group(0)[0], folded)
    return folded[:MAX_TERM_CHARS]


def _address_terms(address: str) -> list[str]:
    # Stored senders carry the IDNA form (domain/mail.canonical_address): an address
    # typed or quoted with its Unicode domain must be spelled the same to meet it.
    address = ascii_domain(address.casefold().strip("."))[:MAX_NAME_CHARS]
    local, _, domain = address.rpartition("@")
    labels = domain.split(".")
    domains = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    return ([address] if local else []) + domains


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def _pieces(text: str) -> Iterator[str]:
    """Words and bigrams of plain text (no ids, addresses or dotted names left in it)."""
    for piece in _re(_PIECE).findall(text):
        if _re(_CJK_RUN).fullmatch(piece):
            yield from _bigrams(piece)
            continue
        word = fold_word(piece)
        if len(word) > 1 and word not in STOP_WORDS:
            yield word


def _terms(text: str, derived: bool) -> Iterator[str]:
    """Terms in the order they appear; `derived` adds what indexing needs besides the
    term itself (an address's domains, a dotted name's words)."""
    text = unicodedata.normalize("NFKC", text)
    text = _re(_TICKET_ID).sub(lambda m: f" \x00t-{int(m.group(1))}\x00 ", text)
    for chunk in re.split(r"(\x00[^\x00]*\x00|\s+)", text):
        if not chunk or chunk.isspace():
            continue
        if chunk.startswith("\x00"):
            yield chunk.strip("\x00")
            continue
        yield from _chunk_terms(chunk[:MAX_CHUNK_CHARS], derived)


def _chunk_terms(chunk: str, derived: bool) -> Iterator[str]:
    rest = chunk
    for found in _re(_ADDRESS).finditer(chunk):
        address = found.group(0)
        terms = _address_terms(address)
        yield from terms if derived else terms[:1]
        rest = rest.replace(address, " ")
    for found in _re(_DOTTED).finditer(rest):
        name = found.group(0).strip(".-").casefold()[:MAX_NAME_CHARS]
        if not name:
            continue
        yield name
        if derived:
            yield from _pieces(name)
        rest = rest.replace(found.group(0), " ")
    yield from _pieces(rest)


def subject_terms(ticket: Ticket) -> tuple[str, ...]:
    """The terms a ticket's own subject adds (after a staff edit of it)."""
    return message_terms(MessageText(ticket.id, ticket.requester, "", ticket.subject, ""))


def message_terms(message: MessageText, limit: int = MAX_TERMS_PER_MESSAGE) -> tuple[str, ...]:
    """The first `limit` distinct terms of a message, most telling parts first."""
    sources: list[Iterable[str]] = [
        [f"t-{int(message.ticket_id.removeprefix('T-'))}"] if message.ticket_id.startswith("T-") else [],
        _address_terms(message.sender) if "@" in message.sender else [],
        _terms(message.sender_name, derived=True),
        _terms(message.subject, derived=True),
        *(_terms(name, derived=True) for name in message.attachment_names),
        _terms(message.text, derived=True),
    ]
    found: dict[str, None] = {}
    for source in sources:
        for term in source:
            found.setdefault(term)
            if len(found) >= limit:
                return tuple(found)
    return tuple(found)


def stored_message_terms(message: StoredMessage) -> tuple[str, ...]:
    """The terms of a stored message: its new text (quoted history left out), subject,
    sender and attachment names."""
    text = message.body.reply_text or message.body.text
    names = tuple(a.filename for a in message.attachments if a.filename)
    return message_terms(
        MessageText(message.ticket_id, message.sender, message.sender_name, message.subject, text, names)
    )


def query_terms(query: str) -> tuple[str, ...]:
    """The terms a query asks for, all of which a ticket must have (at most MAX_QUERY_TERMS).

    `@kunde.de` asks for the domain. Empty when the query has nothing searchable.
    """
    query = re.sub(
        r"(?<![\w.+'&-])@([\w-]+(?:\.[\w-]+)*)",
        lambda m: ascii_domain(f"@{m.group(1).casefold()}").removeprefix("@"),
        query,
    )
    return tuple(dict.fromkeys(_terms(query, derived=False)))[:MAX_QUERY_TERMS]


@frozen
class SearchQuery:
    """Tickets having every term, narrowed to a mailbox, statuses (empty: any), an
    assignee (None: anyone's, "": unassigned only) and a tag."""

    terms: tuple[str, ...]
    mailbox: str | None = None
    statuses: tuple[str, ...] = ()
    assignee: str | None = None
    tag: str | None = None
