"""The console's string catalogue (chalicelib/console/static/i18n-<language>.js) as the tests
read it: a language's table, and which key's English template a line the server wrote
reads back to (as i18n.js readBack finds it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "console" / "static"


def table(language: str) -> dict[str, str | dict[str, str]]:
    """The language's table: the JSON object after `InboundStrings.<language> =`."""
    text = (STATIC / f"i18n-{language}.js").read_text("utf-8")
    head = f"window.InboundStrings.{language} = "
    assert head in text, f"i18n-{language}.js does not assign {head.strip()}"
    body = text.split(head, 1)[1].strip()
    assert body.endswith(";"), f"i18n-{language}.js must end with the table's `}};`"
    try:
        parsed = json.loads(body[:-1])
    except json.JSONDecodeError as exc:
        pytest.fail(f"i18n-{language}.js is not JSON inside (double quotes, no trailing comma): {exc}")
    return parsed


def read_back(prefix: str, line: str) -> str | None:
    """The `prefix` key whose English template says `line`, as i18n.js readBack finds it: the
    longest template first, placeholders matching anything."""
    forms = [
        (key, form)
        for key, value in table("en").items()
        if key.startswith(prefix)
        for form in (value.values() if isinstance(value, dict) else [value])
    ]
    for key, form in sorted(forms, key=lambda pair: len(pair[1]), reverse=True):
        parts = re.split(r"\{\w+\}", form)
        if re.fullmatch("(.+?)".join(re.escape(part) for part in parts), line, re.DOTALL):
            return key
    return None
