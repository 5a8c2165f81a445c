"""flufl.bounce's heuristic detectors, for the non-standard bounces MTAs still send
(qmail, Exim without DSN, "The following addresses had permanent fatal errors", ...).

The only module that imports flufl.bounce. Its detectors read every body line with
regular expressions, which is slow on large mail, so bounce_detector runs them only on
mail that looks like a bounce, and the two line-pattern detectors only when their start
lines occur (`_flufl_scan`).
"""

from __future__ import annotations

import functools
import logging
import re
import string
from email.message import Message

from flufl.bounce import _scan as flufl_scan  # private: see _flufl_scan
from flufl.bounce import all_failures
from flufl.bounce._detectors.simplematch import SimpleMatch

from chalicelib.adapters.mail.delivery_status import unique_addresses

log = logging.getLogger(__name__)

# Characters outside ASCII that a case-insensitive pattern matches to an ASCII letter
# although `str.lower` does not make them that letter: İ ı ſ K (checked in a unit test).
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
_PLAIN = frozenset(string.ascii_letters + string.digits + " :,'-_")


def flufl_failures(message: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(transient, permanent) recipients from flufl.bounce's heuristic detectors."""
    try:
        temporary, permanent = _flufl_scan(message)
    except (IndexError, AttributeError, LookupError, UnicodeError, ValueError):
        # Known flufl.bounce 6.0 faults on malformed mail: the Yale detector
        # indexes an empty getaddresses() when From is missing, the Sina detector
        # calls .lower() on the Header object compat32 returns for a non-ASCII From,
        # and detectors that read text parts through the stdlib's get_payload()
        # raise on a declared charset it cannot decode with (unknown, "idna",
        # which refuses errors="replace", or a name holding a NUL).
        return (), ()
    except Exception:
        # Boundary: flufl.bounce is third-party heuristics run over hostile
        # input. Anything else it raises must not lose the mail; the RFC 3464
        # reading (empty here, or we would not have called it) stands.
        log.warning("flufl.bounce failed on a message", exc_info=True)
        return (), ()
    return unique_addresses(a.decode("ascii", "replace") for a in temporary), unique_addresses(
        a.decode("ascii", "replace") for a in permanent
    )


def _flufl_scan(message: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """flufl.bounce's `all_failures`, without the line patterns that cannot start.

    SimpleMatch and SimpleWarning try 48 sets of line patterns in turn, each
    set over every body line: three quarters of flufl.bounce's time on the
    shared corpus. A set finds nothing unless its start pattern matches a line,
    so each detector gets only the sets whose start pattern does (`_live_sets`),
    in their order, and is skipped when none does. The rest is `all_failures`
    as flufl.bounce 6.0.0 (pinned) writes it: the same detectors in the same
    order, stopping at the first that finds anyone. Its detector list is
    private; should it move, the whole `all_failures` runs.
    """
    detectors = getattr(flufl_scan, "_DETECTORS", None)
    if not isinstance(detectors, list):
        return all_failures(message)
    body: tuple[str | None, str | None] | None = None  # read when a detector needs it
    temporary: set[bytes] = set()
    permanent: set[bytes] = set()
    for detector_class in detectors:
        detector = detector_class()
        starts = _start_patterns(detector_class)
        if starts:
            text, lowered = body = body or _body_text(message)
            if text is not None:
                detector.PATTERNS = _live_sets(starts, text, lowered)
                if not detector.PATTERNS:
                    continue
        found_temporary, found_permanent = detector.process(message)
        temporary.update(found_temporary)
        permanent.update(found_permanent)
        if found_temporary or found_permanent:
            break
    return frozenset(temporary), frozenset(permanent)


_Start = tuple[str, re.Pattern[str], tuple[re.Pattern[str], ...]]


def _live_sets(
    starts: tuple[_Start, ...], text: str, lowered: str | None
) -> list[tuple[re.Pattern[str], ...]]:
    """The pattern sets whose start pattern matches a line of `text`, in their order.

    Searched whole, with ^ and $ at line ends, a pattern finds every line a
    line-by-line search does. Case-insensitive searches cost about 15 ns per
    character each, so a pattern is searched only when the literal every match
    of it begins with occurs in the lower-cased text. That test is exact unless
    the text holds one of the four characters that such a pattern matches to an
    ASCII letter and `str.lower` does not (then `lowered` is None).
    """
    return [
        patterns
        for literal, pattern, patterns in starts
        if (lowered is None or literal in lowered) and pattern.search(text)
    ]


@functools.cache
def _start_patterns(detector: type) -> tuple[_Start, ...]:
    """For a SimpleMatch-style detector, each pattern set with its start pattern made
    for a whole-text search and that pattern's `_required_literal`; () for the others."""
    if not (isinstance(detector, type) and issubclass(detector, SimpleMatch)):
        return ()
    return tuple(
        (
            _required_literal(patterns[0]),
            re.compile(patterns[0].pattern, patterns[0].flags | re.MULTILINE),
            patterns,
        )
        for patterns in detector.PATTERNS
    )


def _required_literal(pattern: re.Pattern[str]) -> str:
    """The plain text every match of a case-insensitive pattern begins with, lower-cased;
    "" when that is not certain (no IGNORECASE, verbose, an alternation, a leading
    metacharacter)."""
    source = pattern.pattern.removeprefix("^")
    if not pattern.flags & re.IGNORECASE or pattern.flags & re.VERBOSE or "|" in source:
        return ""
    end = next((i for i, char in enumerate(source) if char not in _PLAIN), len(source))
    if source[end : end + 1] in ("*", "+", "?", "{"):  # quantifies the last plain character
        end -= 1
    return source[: max(end, 0)].lower()


def _body_text(message: Message) -> tuple[str | None, str | None]:
    """The payloads flufl.bounce reads line by line (`body_line_iterator`), joined, and
    lower-cased (None when `_FOLDS_TO_ASCII` makes that unsafe); (None, None) when reading
    them fails, so that every detector runs and meets the fault as `all_failures` would
    (it raises into `flufl_failures`' boundary)."""
    try:
        text = "\n".join(p for part in message.walk() if isinstance(p := part.get_payload(), str))
    except Exception:  # noqa: BLE001 - not skipping is always correct, only slower
        return None, None
    return text, None if _FOLDS_TO_ASCII.search(text) else text.lower()
