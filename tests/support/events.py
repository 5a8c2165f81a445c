"""Recorded event payloads: the project's own under tests/data/events, and the shared corpus's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parents[1] / "data" / "events"


def load_event(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def sqs_event(
    bodies: list[str], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:inbound-test-ingest"
) -> dict[str, Any]:
    """An SQS event as Lambda's event source mapping delivers it."""
    template = load_event("sqs-record.json")
    records = []
    for n, body in enumerate(bodies):
        record = json.loads(json.dumps(template))
        record.update(messageId=f"00000000-0000-4000-8000-{n:012d}", body=body, eventSourceARN=queue_arn)
        records.append(record)
    return {"Records": records}
