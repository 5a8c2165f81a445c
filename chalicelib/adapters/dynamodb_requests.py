"""DynamoDB's request plumbing, written once for every table adapter.

BatchGetItem answers at most 100 keys a request and may hand some back unread
(`UnprocessedKeys`, when the table or the partition is throttled); Query answers 1 MB a page
and says where to go on (`LastEvaluatedKey`); a cancelled TransactWriteItems says why per
operation, in order (`CancellationReasons`, "None" for an operation that was fine). Item
shapes and key layout stay in each table's own adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

BATCH_GET_KEYS = 100  # BatchGetItem's limit per request
CONDITION_FAILED = "ConditionalCheckFailed"  # a transaction's reason for an operation whose condition failed
# A staff edit's transaction sent again after a TransactionConflict (the mailbox's change
# counter is one hot item, dynamodb_changes.py) before the agent is told to retry.
EDIT_CONFLICT_RETRIES = 2


def batch_get(
    db: DynamoDBClient,
    table: str,
    keys: Sequence[dict[str, Any]],
    *,
    consistent: bool = False,
    projection: str = "",
) -> Iterator[dict[str, Any]]:
    """Every item among `keys` that exists (typed form), in no particular order.

    One BatchGetItem per 100 keys, each repeated with its UnprocessedKeys until all are read.
    The keys must be distinct: DynamoDB refuses a request that names one twice.
    """
    for start in range(0, len(keys), BATCH_GET_KEYS):
        spec: dict[str, Any] = {"Keys": list(keys[start : start + BATCH_GET_KEYS])}
        if consistent:
            spec["ConsistentRead"] = True
        if projection:
            spec["ProjectionExpression"] = projection
        request: dict[str, Any] = {table: spec}
        while request:
            response = db.batch_get_item(RequestItems=request)
            yield from response.get("Responses", {}).get(table, [])
            request = dict(response.get("UnprocessedKeys") or {})


def query_all(db: DynamoDBClient, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query matches (typed form), page after page."""
    while True:
        response = db.query(**kwargs)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def transact_write(
    db: DynamoDBClient, operations: Sequence[dict[str, Any]], conflict_retries: int = 0
) -> None:
    """One TransactWriteItems: all of `operations` or none (at most 100).

    `conflict_retries`: sent again that many times at most when it was cancelled only because
    another transaction held one of its items (TransactionConflict, which botocore does not
    retry), as a staff edit and a mailbox's change counter may be; a cancelled transaction
    wrote nothing, so sending it again is safe. A failed condition is never retried."""
    items = cast("list[TransactWriteItemTypeDef]", list(operations))
    for attempt in range(conflict_retries + 1):
        try:
            db.transact_write_items(TransactItems=items)
            return
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if (
                attempt == conflict_retries
                or "TransactionConflict" not in reasons
                or CONDITION_FAILED in reasons
            ):
                raise


def cancellation_reasons(exc: BaseException | None) -> list[str]:
    """A cancelled transaction's reasons, one per operation in order ("None": that one was
    fine); empty for any other error, so a caller re-raises what it cannot explain."""
    if not isinstance(exc, ClientError) or error_code(exc) != "TransactionCanceledException":
        return []
    return [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])]


def condition_failed(exc: ClientError) -> bool:
    """Whether a single conditional write was refused by its condition."""
    return error_code(exc) == "ConditionalCheckFailedException"


def item_key(pk: str, sk: str) -> dict[str, Any]:
    """The typed key of an item in a table keyed by `pk` and `sk` (both tables are)."""
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def unless_refused(write: Callable[..., object], **kwargs: Any) -> bool:
    """Run one conditional write (PutItem, UpdateItem...); False when its condition refused it."""
    try:
        write(**kwargs)
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise
    return True
