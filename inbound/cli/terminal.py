"""Stored text on the operator's terminal: what a customer or sender wrote is shown, never obeyed.

A subject, a display name, a file name, a bounce's reason or a suppression note may carry
terminal controls: C0 (ESC starts `ESC[2J`, which wipes the screen, and OSC 52, which
writes the clipboard), C1 (U+009B is a one-character CSI on many terminals) and the
Unicode bidi controls (U+202E turns `exe.pdf` round: "Trojan Source", CVE-2021-42574).
Every line the CLI prints from stored text passes `terminal_text`; every JSON line passes
`json_line`, whose output is the same JSON value with those characters as \\u escapes.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Bidi embeddings, overrides and isolates, the marks, and the line/paragraph separators.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_CONTROLS = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
# Raw in JSON (which escapes only C0 and the quote): DEL, C1 and the bidi controls.
_JSON_UNSAFE = re.compile(f"[\\x7f-\\x9f{_BIDI}]")


def terminal_text(text: object) -> str:
    """`text` safe to print: one U+FFFD for each control but line feed and tab (so widths
    stay the same)."""
    return _CONTROLS.sub("\ufffd", str(text))


def counted(count: int, noun: str, plural: str = "") -> str:
    """ "1 file", "3 files": `plural` where adding an s is wrong ("1 match", "2 matches")."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def json_line(value: Any, **options: Any) -> str:
    """`json.dumps(value, ensure_ascii=False)` with the controls a terminal obeys escaped."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
