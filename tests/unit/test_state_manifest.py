"""state.json's text with each DynamoDB row encoded once while unchanged (inbound/local/state_manifest.py).

GIVEN snapshots as LocalState makes them (rows kept as the same dicts while their items are
unchanged), WHEN the manifest is written again and again, THEN its text is json.dumps(state,
sort_keys=True) byte for byte, an unchanged row is not encoded again, and a changed row is.
"""

from __future__ import annotations

import json
from typing import Any

from inbound.local.state_manifest import ManifestText
from tests.support.call_counts import calls_of


def _state(tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "format": 1,
        "accepted": ["m-2", "m-1"],
        "sends": [["id", "a@b.test", ["c@d.test"], "raw ü", "cs"]],
        "s3": {"inbound-local-mail": {"incoming/x": {"sha256": "ab", "etag": '"e"', "metadata": {}}}},
        "ssm": {"/inbound/local/secret": {"value": "s\u00e9cret", "type": "SecureString"}},
        "dynamodb": tables,
        "sqs": {"q": [{"body": "dynamodb", "n": 1.5, "ok": True, "none": None}]},
    }


def _encodes(action: Any) -> int:
    return calls_of(json.JSONEncoder.encode, action)


def test_the_text_is_json_dumps_of_the_state_and_unchanged_rows_are_not_encoded_again():
    rows = [
        {"pk": {"S": f"T-{n}"}, "sk": {"S": "TICKET"}, "subject": {"S": f'Ünïcode {n} "q"'}}
        for n in range(50)
    ]
    other = [{"pk": {"S": "COUNTER"}, "n": {"N": "7"}, "m": {"M": {"l": {"L": [{"BOOL": True}]}}}}]
    tables = {"inbound-local-tickets": rows, 'inbound-local-"odd"': other, "inbound-local-empty": []}
    text = ManifestText()

    first, expected_first = text(_state(tables)), json.dumps(_state(tables), sort_keys=True)
    rows[3] = {**rows[3], "status": {"S": "closed"}}  # a changed item: a new dict, as state.py reads it
    later: list[str] = []
    encoded = _encodes(lambda: later.append(text(_state(tables))))

    assert first == expected_first
    assert later[0] == json.dumps(_state(tables), sort_keys=True)
    assert json.loads(later[0])["dynamodb"]["inbound-local-tickets"][3]["status"] == {"S": "closed"}
    assert encoded == 1 + 1 + 3  # the state around the rows, the changed row, the three table names


def test_a_state_without_tables_is_written_as_json_dumps_writes_it():
    state = {"format": 1, "accepted": [], "s3": {}}

    assert ManifestText()(state) == json.dumps(state, sort_keys=True)
