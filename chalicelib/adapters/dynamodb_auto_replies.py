"""Automatic replies counted per recipient and per domain per day, on the suppression table:
the loop limits of domain/send_policy.py.

| item                | pk                  | sk    | expires |
| ------------------- | ------------------- | ----- | ------- |
| automatic replies   | AUTO#<address>      | <day> | 2 days  |
| ... to a domain     | AUTODOMAIN#<domain> | <day> | 2 days  |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb_requests import (
    CONDITION_FAILED,
    cancellation_reasons,
    item_key,
    transact_write,
    unless_refused,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.services.ports.outbound import LimitReached

AUTO_SECONDS = 2 * 86_400
# No read first: two senders racing for the last one cannot both get it.
_COUNTING: dict[str, Any] = {
    "UpdateExpression": "ADD #n :one SET expires_at = :ttl",
    "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
    "ExpressionAttributeNames": {"#n": "count"},
}


class DynamoDBAutoReplies:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def auto_replies(self, address: str, day: str) -> int:
        raw = self._db.get_item(TableName=self.table, Key=item_key(f"AUTO#{address}", day)).get("Item")
        return int(raw["count"]["N"]) if raw and "count" in raw else 0

    def take_auto_reply(
        self, address: str, day: str, limit: int, now: int, domain_limit: int = 0
    ) -> LimitReached:
        """Count one automatic reply to `address` today, and with `domain_limit` one to its
        domain, unless a limit is reached: "" when counted, else "recipient" or "domain".

        Both counters move in one transaction or neither does (conditional updates of two items)."""
        values = {":one": {"N": "1"}, ":limit": {"N": str(limit)}, ":ttl": {"N": str(now + AUTO_SECONDS)}}
        if not domain_limit:
            taken = unless_refused(
                self._db.update_item,
                TableName=self.table,
                Key=item_key(f"AUTO#{address}", day),
                ExpressionAttributeValues=values,
                **_COUNTING,
            )
            return "" if taken else "recipient"
        domain = address.rpartition("@")[2]
        updates = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": item_key(pk, day),
                    "ExpressionAttributeValues": v,
                    **_COUNTING,
                }
            }
            for pk, v in (
                (f"AUTO#{address}", values),
                (f"AUTODOMAIN#{domain}", {**values, ":limit": {"N": str(domain_limit)}}),
            )
        ]
        try:
            transact_write(self._db, updates)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if reasons[:1] == [CONDITION_FAILED]:
                return "recipient"
            if reasons[1:2] == [CONDITION_FAILED]:
                return "domain"
            raise
        return ""
