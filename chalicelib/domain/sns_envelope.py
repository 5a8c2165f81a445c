"""The SES document inside an SQS record body, however SNS delivered it.

An SNS-to-SQS subscription delivers either the bare message (RawMessageDelivery)
or an envelope (`Type: Notification`, the document as a JSON string in `Message`);
captured Lambda SNS events (`Records[].Sns.Message`) are accepted for replays.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import BadNotification


def unwrap(body: Any) -> dict[str, Any]:
    """The JSON object inside `body`; BadNotification when there is none."""
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadNotification(f"record body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadNotification("record body is not a JSON object")
    if body.get("Type") == "Notification" and "Message" in body:
        return unwrap(body["Message"])
    records = body.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict) and "Sns" in records[0]:
        return unwrap(records[0]["Sns"].get("Message", ""))
    return body
