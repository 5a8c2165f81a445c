"""The suppression table: the list, applied-event markers, counters, send records, audit.

Every read is a GetItem, BatchGetItem or Query on a known key; nothing Scans. TTL
(`expires_at`, epoch seconds) removes what only matters for a while; DynamoDB may
delete an expired item up to a few days late, so reads compare `expires_at` too.

| item                  | pk                   | sk                    | expires            |
| --------------------- | -------------------- | --------------------- | ------------------ |
| suppression entry     | SUPPRESSION          | <address>             | soft entries only  |
| audit (remove/import) | AUDIT                | <at>#<address>#<what> | never              |
| applied event         | EVENT#<event key>    | APPLIED               | 15 days (> SQS 14) |
| soft bounces          | SOFT#<address>       | STATE                 | after the window   |
| reputation counters   | REPUTATION           | <day>#<shard>         | 40 days            |
| message we sent       | OUT#<message-id>     | OUT                   | 30 days            |
| automatic replies     | AUTO#<address>       | <day>                 | 2 days             |
| ... to a domain       | AUTODOMAIN#<domain>  | <day>                 | 2 days             |
| acknowledgement       | ACK#<ticket>         | ACK                   | 30 days            |

One partition holds the whole list: `list` is one paginated Query, `check` one
GetItem. A support desk's list stays far below a partition's limits; the
reputation counters are spread over SHARDS items per day for concurrent writers.
An address's soft bounces are one item (their times in the window and a version
number), so the transaction that adds one can be conditioned on the count it read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.dynamodb_items import deserialize, serialize
from chalicelib.domain.feedback import SoftBounces, SuppressionEntry
from chalicelib.domain.reputation import DayCounts
from chalicelib.services.ports import AckClaim, Applied, ListChange, SoftRead, SoftWrite

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

DAY = 86_400
MARKER_SECONDS = 15 * DAY
COUNTER_SECONDS = 40 * DAY
SENT_SECONDS = 30 * DAY
MAX_ID_BYTES = 1_000  # a Message-ID longer than this is none of ours (keys hold 2,048 bytes)
AUTO_SECONDS = 2 * DAY
ACK_SECONDS = 30 * DAY
SHARDS = 4
CONFLICT_RETRIES = 6
OVER_EXPIRING = "attribute_not_exists(pk) OR attribute_exists(expires_at)"  # never over a permanent entry
_ENTRY_FIELDS = ("reason", "at", "source", "subtype", "diagnostic", "feedback_id", "note")


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def entry_item(entry: SuppressionEntry) -> dict[str, Any]:
    fields = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    item = serialize({"pk": "SUPPRESSION", "sk": entry.address, "type": "suppression", **fields})
    if entry.expires_at:
        item["expires_at"] = {"N": str(entry.expires_at)}
    return item


def entry_from_item(raw: dict[str, Any]) -> SuppressionEntry:
    item = deserialize(raw)
    return SuppressionEntry(
        address=str(item["sk"]),
        expires_at=int(item.get("expires_at", 0)),
        **{name: str(item.get(name, "")) for name in _ENTRY_FIELDS},
    )


class DynamoDBSuppression:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        kwargs["TableName"] = self.table
        while True:
            response = self._db.query(**kwargs)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _unless_condition_fails(self, call: Any, **kwargs: Any) -> bool:
        """Run a conditional write; False when its condition held it back."""
        try:
            call(TableName=self.table, **kwargs)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- the list ------------------------------------------------------------
    def get(self, address: str, now: int) -> SuppressionEntry | None:
        raw = self._db.get_item(TableName=self.table, Key=_key("SUPPRESSION", address)).get("Item")
        entry = entry_from_item(raw) if raw else None
        return entry if entry and not (entry.expires_at and entry.expires_at <= now) else None

    def entries(self, now: int) -> list[SuppressionEntry]:
        found = self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "SUPPRESSION"}}
        )
        entries = (entry_from_item(raw) for raw in found)
        return [e for e in entries if not (e.expires_at and e.expires_at <= now)]

    def put(self, entry: SuppressionEntry, only_over: str = "") -> bool:
        """Write an entry; False when held back. only_over="expiring": never over a permanent
        entry; only_over="absent": only when the address has no entry at all."""
        conditions = {
            "expiring": {"ConditionExpression": OVER_EXPIRING},
            "absent": {"ConditionExpression": "attribute_not_exists(pk)"},
        }
        return self._unless_condition_fails(
            self._db.put_item, Item=entry_item(entry), **conditions.get(only_over, {})
        )

    def remove(self, address: str, change: ListChange) -> None:
        """Delete the entry and write the audit item, together."""
        self._db.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": _key("SUPPRESSION", address)}},
                {"Put": {"TableName": self.table, "Item": _audit_item(change)}},
            ]
        )

    def audit(self, change: ListChange) -> None:
        self._db.put_item(TableName=self.table, Item=_audit_item(change))

    def audit_log(self, limit: int = 100) -> list[ListChange]:
        response = self._db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "AUDIT"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_change_from_item(raw) for raw in response.get("Items", [])]

    # -- feedback events -------------------------------------------------------
    def soft_bounces(self, addresses: Sequence[str]) -> SoftRead:
        """Each address's soft bounces and whether it has a permanent entry: one consistent
        BatchGetItem per 50 addresses (two keys each)."""
        wanted = list(dict.fromkeys(addresses))
        states = {a: SoftBounces(a) for a in wanted}
        permanent: set[str] = set()
        for start in range(0, len(wanted), 50):
            keys = [
                key
                for a in wanted[start : start + 50]
                for key in (_key(f"SOFT#{a}", "STATE"), _key("SUPPRESSION", a))
            ]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table, []):
                    item = deserialize(raw)
                    if item["pk"] == "SUPPRESSION":
                        if "expires_at" not in item:
                            permanent.add(str(item["sk"]))
                        continue
                    address = str(item["pk"])[len("SOFT#") :]
                    times = tuple(int(t) for t in item.get("times", []))
                    states[address] = SoftBounces(address, times, int(item.get("version", 0)))
                request = response.get("UnprocessedKeys") or {}
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
            _put(self.table, {**_key(f"EVENT#{key[:900]}", "APPLIED"), **marker}, "attribute_not_exists(pk)")
            for key in keys
        ]
        head += [_put(self.table, entry_item(e)) for e in entries]
        tail = [self._soft_put(w) for w in soft]
        shard = random.randrange(SHARDS)
        tail += [self._counter_update(day, added, shard, now) for day, added in counts.items() if added]
        held: set[str] = set()
        conflicts = 0
        while True:
            offered = [e for e in expiring if e.address not in held]
            conditional = [_put(self.table, entry_item(e), OVER_EXPIRING) for e in offered]
            try:
                operations = [*head, *conditional, *tail]
                self._db.transact_write_items(
                    TransactItems=cast("list[TransactWriteItemTypeDef]", operations)
                )
                return Applied(held_back=frozenset(held))
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                failed = [code == "ConditionalCheckFailed" for code in reasons]
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
            **_key(f"SOFT#{state.address}", "STATE"),
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

    def _counter_update(self, day: str, added: dict[str, int], shard: int, now: int) -> dict[str, Any]:
        names = {f"#c{i}": name for i, name in enumerate(added)}
        values: dict[str, Any] = {f":c{i}": {"N": str(n)} for i, n in enumerate(added.values())}
        adds = ", ".join(f"#c{i} :c{i}" for i in range(len(added)))
        return {
            "Update": {
                "TableName": self.table,
                "Key": _key("REPUTATION", f"{day}#{shard}"),
                "UpdateExpression": f"ADD {adds} SET expires_at = :ttl, #day = :day",
                "ExpressionAttributeNames": {**names, "#day": "day"},
                "ExpressionAttributeValues": {
                    **values,
                    ":ttl": {"N": str(now + COUNTER_SECONDS)},
                    ":day": {"S": day},
                },
            }
        }

    def day_counts(self, first_day: str, last_day: str) -> list[DayCounts]:
        """Counters of every day in [first_day, last_day] that has any (shards summed)."""
        days: dict[str, dict[str, int]] = {}
        for raw in self._query(
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
                if name not in ("pk", "sk", "day", "expires_at"):
                    totals[name] = totals.get(name, 0) + int(value)
        return [DayCounts(day, counts) for day, counts in sorted(days.items())]

    # -- what we sent ----------------------------------------------------------
    def record_sent(self, addresses: Iterable[str], message_ids: Iterable[str], at: str, now: int) -> None:
        """Note a sent message under each of its Message-IDs with its recipients (so a bounce
        that comes back as mail can be checked against it) and count the recipients for the day."""
        recipients = list(dict.fromkeys(addresses))
        # An Update, not a Put: the functions that send hold UpdateItem on this table already.
        sent = {
            "UpdateExpression": "SET #t = :t, #at = :at, recipients = :r, expires_at = :ttl",
            "ExpressionAttributeNames": {"#t": "type", "#at": "at"},
            "ExpressionAttributeValues": {
                ":t": {"S": "sent"},
                ":at": {"S": at},
                ":r": {"L": [{"S": a} for a in recipients]},
                ":ttl": {"N": str(now + SENT_SECONDS)},
            },
        }
        operations: list[dict[str, Any]] = [
            {"Update": {"TableName": self.table, "Key": _key(f"OUT#{message_id}", "OUT"), **sent}}
            for message_id in dict.fromkeys(message_ids)
            if message_id and len(message_id.encode()) <= MAX_ID_BYTES
        ]
        operations.append(
            self._counter_update(at[:10], {"sent": len(recipients)}, random.randrange(SHARDS), now)
        )
        self._db.transact_write_items(TransactItems=cast("list[TransactWriteItemTypeDef]", operations))

    def sent_messages(self, message_ids: Sequence[str], now: int) -> dict[str, frozenset[str]]:
        """Which of `message_ids` we sent within SENT_SECONDS, each with its recipients."""
        wanted = [m for m in dict.fromkeys(message_ids) if m and len(m.encode()) <= MAX_ID_BYTES][:100]
        request: dict[str, Any] = {
            self.table: {"Keys": [_key(f"OUT#{m}", "OUT") for m in wanted], "ConsistentRead": True}
        }
        found: dict[str, frozenset[str]] = {}
        while wanted and request:
            response = self._db.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self.table, []):
                item = deserialize(raw)
                if int(item.get("expires_at", 0)) > now:
                    found[str(item["pk"])[len("OUT#") :]] = frozenset(str(a) for a in item["recipients"])
            request = response.get("UnprocessedKeys") or {}
        return found

    # -- loop limits -----------------------------------------------------------
    def auto_replies(self, address: str, day: str) -> int:
        raw = self._db.get_item(TableName=self.table, Key=_key(f"AUTO#{address}", day)).get("Item")
        return int(raw["count"]["N"]) if raw and "count" in raw else 0

    def take_auto_reply(self, address: str, day: str, limit: int, now: int, domain_limit: int = 0) -> str:
        """Count one automatic reply to `address` today, and with `domain_limit` one to its
        domain, unless a limit is reached: "" when counted, else "recipient" or "domain".

        Both counters move in one transaction or neither does (conditional updates of two
        items; no read first, so two senders racing for the last one cannot both get it)."""
        values = {":one": {"N": "1"}, ":limit": {"N": str(limit)}, ":ttl": {"N": str(now + AUTO_SECONDS)}}
        counting: dict[str, Any] = {
            "UpdateExpression": "ADD #n :one SET expires_at = :ttl",
            "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
            "ExpressionAttributeNames": {"#n": "count"},
        }
        if not domain_limit:
            taken = self._unless_condition_fails(
                self._db.update_item,
                Key=_key(f"AUTO#{address}", day),
                ExpressionAttributeValues=values,
                **counting,
            )
            return "" if taken else "recipient"
        domain = address.rpartition("@")[2]
        updates: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(pk, day),
                    "ExpressionAttributeValues": v,
                    **counting,
                }
            }
            for pk, v in (
                (f"AUTO#{address}", values),
                (f"AUTODOMAIN#{domain}", {**values, ":limit": {"N": str(domain_limit)}}),
            )
        ]
        try:
            self._db.transact_write_items(TransactItems=cast("list[TransactWriteItemTypeDef]", updates))
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return "recipient"
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                return "domain"
            raise
        return ""

    def claim_ack(self, ticket_id: str, at: str, now: int) -> AckClaim | None:
        """Claim the one acknowledgement of a ticket: None when claimed now, else the earlier claim."""
        key = _key(f"ACK#{ticket_id}", "ACK")
        item = {
            **key,
            "state": {"S": "claimed"},
            "at": {"S": at},
            "expires_at": {"N": str(now + ACK_SECONDS)},
        }
        if self._unless_condition_fails(
            self._db.put_item, Item=item, ConditionExpression="attribute_not_exists(pk)"
        ):
            return None
        raw = self._db.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item", {})
        earlier = deserialize(raw)  # {} when released between the two requests
        return AckClaim(str(earlier.get("state", "")), str(earlier.get("reason", "")))

    def finish_ack(self, ticket_id: str, state: str, reason: str = "", message_key: str = "") -> None:
        self._db.update_item(
            TableName=self.table,
            Key=_key(f"ACK#{ticket_id}", "ACK"),
            UpdateExpression="SET #s = :s, reason = :r, message_key = :k",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": {"S": state}, ":r": {"S": reason}, ":k": {"S": message_key}},
        )

    def release_ack(self, ticket_id: str) -> None:
        self._db.delete_item(TableName=self.table, Key=_key(f"ACK#{ticket_id}", "ACK"))


def _put(table: str, item: dict[str, Any], condition: str = "") -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table, "Item": item}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


_CHANGE_FIELDS = ("action", "at", "by", "why", "address")


def _audit_item(change: ListChange) -> dict[str, Any]:
    sk = f"{change.at}#{change.address}#{change.action}"
    fields = {name: getattr(change, name) for name in _CHANGE_FIELDS}
    return serialize({"pk": "AUDIT", "sk": sk, "type": "audit", **change.details, **fields})


def _change_from_item(raw: dict[str, Any]) -> ListChange:
    item = deserialize(raw)
    details = {k: v for k, v in item.items() if k not in ("pk", "sk", "type", *_CHANGE_FIELDS)}
    return ListChange(**{name: str(item.get(name, "")) for name in _CHANGE_FIELDS}, details=details)
