"""The SES account's own reputation: `Reputation.BounceRate` / `Reputation.ComplaintRate`.

SES reviews the whole account (every stage and every other sender in it), and publishes
the two rates it judges by to CloudWatch (namespace AWS/SES, no dimension, as fractions).
The guard's own counters see only this stage's sends, so the outbound guard also reads
these: one GetMetricData for both, the latest hourly maximum of the last day, kept per
container for `ttl` seconds. No data (SES publishes them only once there were bounces or
complaints), no permission, throttling or an emulator without the API: (None, None), and
the stage's own counters decide alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

log = logging.getLogger("inbound.reputation")
TTL_SECONDS = 300.0
_QUERIES = (("bounce", "Reputation.BounceRate"), ("complaint", "Reputation.ComplaintRate"))


class AccountReputation:
    def __init__(
        self,
        client: CloudWatchClient,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._cw, self._ttl, self._clock, self._now = client, ttl, clock, now
        self._kept: tuple[float, tuple[float | None, float | None]] | None = None
        self._lock = threading.Lock()

    def rates(self) -> tuple[float | None, float | None]:
        """(bounce rate, complaint rate) of the account, each None when unknown."""
        with self._lock:
            if self._kept and self._kept[0] > self._clock():
                return self._kept[1]
        found = self._ask()
        with self._lock:
            self._kept = (self._clock() + self._ttl, found)
        return found

    def _ask(self) -> tuple[float | None, float | None]:
        end = self._now()
        queries: list[Any] = [
            {
                "Id": key,
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/SES", "MetricName": metric},
                    "Period": 3600,
                    "Stat": "Maximum",
                },
            }
            for key, metric in _QUERIES
        ]
        try:
            answer = self._cw.get_metric_data(
                MetricDataQueries=queries,
                StartTime=end - timedelta(days=1),
                EndTime=end,
                ScanBy="TimestampDescending",
            )
        except ClientError as exc:
            log.warning("SES account reputation not available (%s)", error_code(exc))
            return None, None
        except (BotoCoreError, NotImplementedError) as exc:
            log.warning("SES account reputation not available (%s)", type(exc).__name__)
            return None, None
        latest: dict[str, float | None] = {}
        for result in answer.get("MetricDataResults", []):
            values = result.get("Values") or []
            latest[result.get("Id", "")] = values[0] if values else None
        return _fraction(latest.get("bounce")), _fraction(latest.get("complaint"))


def _fraction(value: Any) -> float | None:
    return None if value is None else float(value)
