"""Reputation counters on the suppression table: per day, what was sent and what came back.

| item                | pk         | sk            | expires |
| ------------------- | ---------- | ------------- | ------- |
| reputation counters | REPUTATION | <day>#<shard> | 40 days |

Writers add to a counter inside their own transactions (`counter_update`: the feedback
ledger's events, the send ledger's sent mail); each picks one of SHARDS items of the day at
random, so concurrent writers seldom touch the same item. `day_counts` sums the shards.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamodb_items import deserialize
from chalicelib.adapters.dynamodb_requests import item_key, query_all
from chalicelib.domain.reputation import DayCounts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DAY = 86_400
COUNTER_SECONDS = 40 * DAY
SHARDS = 4
_NOT_COUNTS = ("pk", "sk", "day", "expires_at")


def counter_update(table: str, day: str, added: dict[str, int], now: int) -> dict[str, Any]:
    """A transaction's Update adding `added` (counter -> n) to one shard of `day`."""
    names = {f"#c{i}": name for i, name in enumerate(added)}
    values: dict[str, Any] = {f":c{i}": {"N": str(n)} for i, n in enumerate(added.values())}
    adds = ", ".join(f"#c{i} :c{i}" for i in range(len(added)))
    return {
        "Update": {
            "TableName": table,
            "Key": item_key("REPUTATION", f"{day}#{random.randrange(SHARDS)}"),
            "UpdateExpression": f"ADD {adds} SET expires_at = :ttl, #day = :day",
            "ExpressionAttributeNames": {**names, "#day": "day"},
            "ExpressionAttributeValues": {
                **values,
                ":ttl": {"N": str(now + COUNTER_SECONDS)},
                ":day": {"S": day},
            },
        }
    }


class DynamoDBReputationCounters:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def day_counts(self, first_day: str, last_day: str) -> list[DayCounts]:
        """Counters of every day in [first_day, last_day] that has any (shards summed)."""
        days: dict[str, dict[str, int]] = {}
        for raw in query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={
                ":pk": {"S": "REPUTATION"},
                ":a": {"S": first_day},
                ":b": {"S": last_day + "#~"},
            },
        ):
            item = deserialize(raw)
            totals = days.setdefault(str(item["day"]), {})
            for name, value in item.items():
                if name not in _NOT_COUNTS:
                    totals[name] = totals.get(name, 0) + int(value)
        return [DayCounts(day, counts) for day, counts in sorted(days.items())]
