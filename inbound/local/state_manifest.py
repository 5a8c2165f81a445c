"""state.json's text, each DynamoDB row encoded once while it is unchanged.

A snapshot names every item of the stage's tables, and `inbound up` writes one every second
or two while mail arrives (each acknowledgement waits for one): `json.dumps` of the whole state
re-encoded every row each time, O(table) per save, a tenth of the process's CPU in a 500-mail
burst. A row is a new dict when its item changed (state.py reads it again, moto_changes), the
same dict otherwise, so the text of an unchanged row is kept from the last save. The text is
the same as `json.dumps(state, sort_keys=True)`, byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

_MARK = "\x00inbound-dynamodb-rows\x00"  # no key or value of a state holds a NUL
_MARKED = f'"dynamodb": {json.dumps(_MARK)}'


class ManifestText:
    def __init__(self) -> None:
        self._rows: dict[int, tuple[Any, str]] = {}  # id(row) -> (the row, its text) of the last save

    def __call__(self, state: dict[str, Any]) -> str:
        tables = state.get("dynamodb")
        if not isinstance(tables, dict):
            return json.dumps(state, sort_keys=True)
        known, self._rows = self._rows, {}
        parts = []
        for name in sorted(tables):
            texts = []
            for row in tables[name]:
                hit = known.get(id(row))
                text = hit[1] if hit is not None and hit[0] is row else json.dumps(row, sort_keys=True)
                self._rows[id(row)] = (row, text)
                texts.append(text)
            parts.append(f"{json.dumps(name)}: [{', '.join(texts)}]")
        rest = json.dumps({**state, "dynamodb": _MARK}, sort_keys=True)
        rows = '"dynamodb": {' + ", ".join(parts) + "}"
        return rest.replace(_MARKED, rows, 1)
