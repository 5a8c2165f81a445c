"""Where moto 5.2.5's DynamoDB differs from the real service in ways the embedded stack must not.

1. Atomic conditions. DynamoDB checks a condition and writes as one step; moto does
   not lock, so under threads (the local stack's pollers and API, the parallel
   tests) a check and a write can interleave and two conditional writers both win.
   One request at a time restores the guarantee.

2. Transaction cost: O(items named) instead of O(table).

3. Bucket policies: moto takes a `Bool` condition as always met, so the bucket's
   `Deny ... if aws:SecureTransport is false` refused every object call. `Bool`
   conditions are evaluated here, requests to the emulator standing in for the SDK's
   HTTPS to S3 (SecureTransport true); a statement whose condition does not hold does
   not apply, as in IAM.

4. SES DeleteReceiptRule, which moto lacks: `inbound provision --delete` removes the
   stage's one rule from an active rule set it shares with other rules. And an
   identity's BounceTopic/ComplaintTopic, which moto stores but never reports.

5. Lambda CreateEventSourceMapping from an SQS queue whose visibility timeout is shorter
   than the function's timeout: Lambda refuses it ("Queue visibility timeout: 30 seconds is
   less than Function timeout: 60 seconds", InvalidParameterValueException), moto maps it.
   `chalice deploy` after a raised `lambda_timeout` meets it unless provision ran first.

6. S3 objects overwritten or deleted while a request reads them: moto closes the old
   object's buffer at once, so a PutObject of the same key still computing its ETag, or
   a GetObject or CopyObject still reading, fails with "I/O operation on closed file" (a
   500). S3 never fails a request for a concurrent write. A buffer is closed here when
   nothing refers to its object any more (moto's own `__del__`), which is at once when
   no request holds it. Twenty concurrent ingests of one notification hit this at once in
   process (`moto_direct`); over the socket, only now and then.

moto 5.2.5 backs up every table a TransactWriteItems names with `copy.deepcopy`
before applying it (once per item of the transaction), so each transaction copies the
whole table: replaying a few thousand messages on the embedded stack becomes quadratic
(over a second per message after ~600). Real DynamoDB has no such cost.

A failed transaction only has to put back what it named. While one runs, a table's
"backup" is therefore the live table itself, and the items the transaction names (a
deep copy of each, or "absent") are kept aside and put back if it fails. Sharing the
untouched partitions was not enough: a partition every mail writes to (a common search
term's, TERM#order) grows with the table, and copying it made a burst quadratic again.
Semantics are moto's own (the same items after a rollback); only the copying is narrowed.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_active = threading.local()
_installed = False


def _touched_keys(table: Any, transact_items: list[dict[str, Any]]) -> dict[Any, set[Any]]:
    """The items of `table` a transaction names: hash key -> range keys (None without one)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched: dict[Any, set[Any]] = {}
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        if op.get("TableName") != table.name:
            continue
        key = op.get("Key") or op.get("Item") or {}
        value = key.get(table.hash_key_attr)
        if value is None:
            continue
        sort = key.get(table.range_key_attr) if table.range_key_attr else None
        touched.setdefault(DynamoType(value), set()).add(DynamoType(sort) if sort is not None else None)
    return touched


def _narrow_deepcopy(table: Any, memo: dict[int, Any]) -> Any:
    undo = getattr(_active, "undo", None)
    if undo is None:
        # Not inside a transaction: moto's own full deep copy (backups, restores).
        clone = copy.copy(table)
        memo[id(table)] = clone
        clone.__dict__.update(copy.deepcopy(table.__dict__, memo))
        return clone
    # Inside a transaction, moto's "backup" is the live table itself, and what the
    # transaction can change (the items it names, as they are now) is kept aside to be
    # put back if it fails (`_undo`). moto asks for a table's backup once per item of
    # the transaction; the items are kept the first time.
    if table.name not in undo:
        undo[table.name] = (table, _saved_items(table, _active.items))
    return table


def _saved_items(table: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """(hash, range, a deep copy of the item or None when absent) of every item named."""
    saved = []
    for hash_value, sorts in _touched_keys(table, transact_items).items():
        partition = table.items.get(hash_value)  # .get: items is a defaultdict
        if not table.range_key_attr:
            saved.append((hash_value, None, copy.deepcopy(partition)))
            continue
        for sort in sorts:
            item = partition.get(sort) if partition is not None else None
            saved.append((hash_value, sort, copy.deepcopy(item)))
    return saved


def _undo(undo: dict[str, tuple[Any, list[tuple[Any, Any, Any]]]]) -> None:
    """Put back every item a failed transaction named, as it was before it."""
    for table, saved in undo.values():
        for hash_value, sort, item in saved:
            if not table.range_key_attr:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
                continue
            partition = table.items[hash_value]
            if item is None:
                partition.pop(sort, None)
            else:
                partition[sort] = item
            if not partition:
                del table.items[hash_value]


def install() -> None:
    """Patch moto's DynamoDB in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    call_action = DynamoHandler.call_action

    def one_request_at_a_time(self: Any) -> Any:
        with lock:
            return call_action(self)

    DynamoHandler.call_action = one_request_at_a_time  # type: ignore[method-assign]

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _active.items, _active.undo = transact_items, {}
        try:
            original(self, transact_items)
        except BaseException:
            _undo(_active.undo)
            raise
        finally:
            _active.items = _active.undo = None

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.__deepcopy__ = _narrow_deepcopy  # type: ignore[attr-defined]
    _conditional_denials()
    _s3_buffers_closed_when_unreferenced()
    _delete_receipt_rule()
    _raw_email_recipients()
    _sqs_mapping_visibility()
    _installed = True


def _sqs_mapping_visibility() -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.sqs.models import sqs_backends

    create = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        queues = sqs_backends[self.account_id][self.region_name].queues.values()
        queue = next((q for q in queues if q.queue_arn == spec.get("EventSourceArn")), None)
        if queue is not None and spec.get("FunctionName"):
            function = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
            visibility = int(queue.visibility_timeout)  # type: ignore[attr-defined]  # set from attributes
            timeout = int(function.timeout)
            if visibility < timeout:
                raise InvalidParameterValueException(
                    f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds",
                )
        return create(self, spec)

    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]


def _s3_buffers_closed_when_unreferenced() -> None:
    from moto.s3.models import FakeKey

    close = FakeKey.dispose

    def dispose(self: Any, garbage: bool = False) -> None:
        """Asked by an overwrite, a delete or a reset: left to `__del__` (a request may
        still be reading the object)."""

    def closed_when_collected(self: Any) -> None:
        close(self)  # nothing refers to it: moto's own disposal, without its warning

    FakeKey.dispose = dispose  # type: ignore[method-assign]
    FakeKey.__del__ = closed_when_collected  # type: ignore[method-assign]


def _raw_email_recipients() -> None:
    """SendRawEmail counts a message's recipients once: SES's limit is 50 across To, Cc and
    Bcc. moto adds the header addresses to the Destinations given and counts both lists, so
    a reply to 26 people (each named in Destinations and in To/Cc) failed as "too many"."""
    from email.utils import getaddresses

    from moto.ses.models import SESBackend

    original = SESBackend.send_raw_email

    def send_raw_email(self: Any, source: str, destinations: list[str], raw_data: str) -> Any:
        head = raw_data.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
        fields = [
            line for line in _unfolded(head) if line.split(":", 1)[0].strip().lower() in ("to", "cc", "bcc")
        ]
        named = {a.lower() for _, a in getaddresses([f.split(":", 1)[1] for f in fields]) if a}
        extra = [d for d in destinations if getaddresses([d])[0][1].lower() not in named]
        return original(self, source, extra, raw_data)

    SESBackend.send_raw_email = send_raw_email  # type: ignore[method-assign]


def _unfolded(head: str) -> list[str]:
    lines: list[str] = []
    for line in head.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line
        else:
            lines.append(line)
    return lines


def _delete_receipt_rule() -> None:
    from moto.core.responses import EmptyResult
    from moto.ses.exceptions import RuleSetDoesNotExist
    from moto.ses.responses import EmailResponse

    def delete_receipt_rule(self: Any) -> Any:
        name = self._get_param("RuleSetName")
        rule_set = self.backend.receipt_rule_set.get(name)
        if rule_set is None:
            raise RuleSetDoesNotExist(f"Rule set does not exist: {name}")
        rule = self._get_param("RuleName")
        rule_set.rules = [r for r in rule_set.rules if r["Name"] != rule]  # absent: success, as in SES
        return EmptyResult()

    EmailResponse.delete_receipt_rule = delete_receipt_rule  # type: ignore[attr-defined]

    from moto.ses.models import SESBackend

    attributes = SESBackend.get_identity_notification_attributes

    def with_topics(self: Any, identities: list[str]) -> dict[str, dict[str, Any]]:
        found = attributes(self, identities)
        for identity, values in found.items():
            for kind in ("Bounce", "Complaint", "Delivery"):
                topic = self.sns_topics.get(identity, {}).get(kind)
                if topic:
                    values[f"{kind}Topic"] = topic
        return found

    SESBackend.get_identity_notification_attributes = with_topics  # type: ignore[method-assign]


def _conditional_denials() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        known = {"aws:SecureTransport": "true", **(incoming_condition_values or {})}
        for key, expected in (self._statement.get("Condition") or {}).get("Bool", {}).items():
            wanted = {str(e).lower() for e in (expected if isinstance(expected, list) else [expected])}
            if str(known.get(key, "")).lower() not in wanted:
                return PermissionResult.NEUTRAL  # the statement does not apply
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]
