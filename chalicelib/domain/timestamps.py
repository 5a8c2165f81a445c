"""The one timestamp format stored items use: ISO 8601 UTC with milliseconds.

It sorts lexically in time order, which DynamoDB sort keys rely on, and matches
the form SES uses in its notifications (`2026-11-27T10:00:01.000Z`).
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
