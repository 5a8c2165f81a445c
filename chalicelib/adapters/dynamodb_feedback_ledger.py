"""The feedback ledger on the suppression table: which SES feedback events were applied,
and each address's soft bounces.

| item          | pk                | sk      | expires            |
| ------------- | ----------------- | ------- | ------------------ |
| applied event | EVENT#<event key> | APPLIED | 15 days (> SQS 14) |
| soft bounces  | SOFT#<address>    | STATE   | after the window   |

`apply` writes a notification's events in one transaction: each event's marker (never
over an earlier one: a redelivery applies nothing twice), the suppression entries they
make (dynamodb_suppression_list's items), the addresses' soft bounces and the counter
additions (dynamodb_reputation_counters'). An address's soft bounces are one item (their
times in the window and a version number), so the transaction that adds one can be
conditioned on the count it read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb_items import deserialize
from chalicelib.adapters.dynamodb_reputation_counters import counter_update
from chalicelib.adapters.dynamodb_requests import (
    CONDITION_FAILED,
    batch_get,
    cancellation_reasons,
    item_key,
    transact_write,
)
from chalicelib.adapters.dynamodb_suppression_list import LIST_PK, OVER_EXPIRING, entry_item, entry_key
from chalicelib.domain.suppression import SoftBounces, SuppressionEntry
from chalicelib.services.ports.outbound import Applied, SoftRead, SoftWrite

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DAY = 86_400
MARKER_SECONDS = 15 * DAY
CONFLICT_RETRIES = 6


class DynamoDBFeedbackLedger:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def soft_bounces(self, addresses: Sequence[str]) -> SoftRead:
        """Each address's soft bounces and whether it has a permanent entry: one consistent
        BatchGetItem per 50 addresses (two keys each)."""
        wanted = list(dict.fromkeys(addresses))
        states = {a: SoftBounces(a) for a in wanted}
        permanent: set[str] = set()
        keys = [key for a in wanted for key in (_soft_key(a), entry_key(a))]
        for raw in batch_get(self._db, self.table, keys, consistent=True):
            item = deserialize(raw)
            if item["pk"] == LIST_PK:
                if "expires_at" not in item:
                    permanent.add(str(item["sk"]))
                continue
            address = str(item["pk"])[len("SOFT#") :]
            times = tuple(int(t) for t in item.get("times", []))
            states[address] = SoftBounces(address, times, int(item.get("version", 0)))
        return SoftRead(states, frozenset(permanent))

    def apply(
        self,
        keys: list[str],
        entries: list[SuppressionEntry],
        soft: list[SoftWrite],
        counts: dict[str, dict[str, int]],
        now: int,
        expiring: Sequence[SuppressionEntry] = (),
    ) -> Applied:
        """Markers, entries, expiring entries, soft bounces and counter additions in one
        transaction (at most 100 items: the caller sizes it).

        An address's soft bounces are written only over the version they were read from.
        An expiring entry is written only over nothing or another expiring entry: when an
        address has a permanent one, the transaction is repeated without that entry.
        """
        marker = {"type": {"S": "applied"}, "expires_at": {"N": str(now + MARKER_SECONDS)}}
        head = [
            _put(
                self.table,
                {**item_key(f"EVENT#{key[:900]}", "APPLIED"), **marker},
                "attribute_not_exists(pk)",
            )
            for key in keys
        ]
        head += [_put(self.table, entry_item(e)) for e in entries]
        tail = [self._soft_put(w) for w in soft]
        tail += [counter_update(self.table, day, added, now) for day, added in counts.items() if added]
        held: set[str] = set()
        conflicts = 0
        while True:
            offered = [e for e in expiring if e.address not in held]
            conditional = [_put(self.table, entry_item(e), OVER_EXPIRING) for e in offered]
            try:
                transact_write(self._db, [*head, *conditional, *tail])
                return Applied(held_back=frozenset(held))
            except ClientError as exc:
                reasons = cancellation_reasons(exc)
                if not reasons:
                    raise
                failed = [code == CONDITION_FAILED for code in reasons]
                done = {key for key, fail in zip(keys, failed, strict=False) if fail}
                if done:
                    return Applied(before=frozenset(done))
                at = len(head) + len(offered)
                moved = {w.state.address for w, fail in zip(soft, failed[at:], strict=False) if fail}
                if moved:
                    return Applied(moved=frozenset(moved))
                refused = {e.address for e, fail in zip(offered, failed[len(head) :], strict=False) if fail}
                if refused:
                    held |= refused
                    continue
                conflicts += 1
                if "TransactionConflict" not in reasons or conflicts == CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0.01, 0.05) * conflicts)  # another writer's counter update

    def _soft_put(self, write: SoftWrite) -> dict[str, Any]:
        state = write.state
        item = {
            **_soft_key(state.address),
            "type": {"S": "soft_bounces"},
            "times": {"L": [{"N": str(t)} for t in state.times]},
            "version": {"N": str(state.version + 1)},
            "expires_at": {"N": str(write.expires_at)},
        }
        put = _put(self.table, item, "attribute_not_exists(pk)")
        if state.version:
            put["Put"]["ConditionExpression"] = "#v = :v"
            put["Put"]["ExpressionAttributeNames"] = {"#v": "version"}
            put["Put"]["ExpressionAttributeValues"] = {":v": {"N": str(state.version)}}
        return put


def _soft_key(address: str) -> dict[str, Any]:
    return item_key(f"SOFT#{address}", "STATE")


def _put(table: str, item: dict[str, Any], condition: str = "") -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table, "Item": item}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}
