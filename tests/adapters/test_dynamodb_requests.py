"""DynamoDB's request plumbing (moto): batch reads finish what DynamoDB hands back unread,
queries read every page, a cancelled transaction says which operation failed."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.adapters.dynamodb_requests import (
    CONDITION_FAILED,
    batch_get,
    cancellation_reasons,
    condition_failed,
    item_key,
    query_all,
    transact_write,
    unless_refused,
)
from tests.support.dynamodb_tables import pk_sk_table

TABLE = "requests"


@pytest.fixture
def session():
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        pk_sk_table(session.client("dynamodb"), TABLE)
        yield session


def _key(pk: str, sk: str = "A") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_batch_get_reads_every_key_in_requests_of_100_and_retries_what_came_back_unread(session):
    requests: list[int] = []

    def throttle_one(parsed: dict[str, Any], **_: Any) -> None:
        # The first answer hands one item back unread, as DynamoDB does under throttling
        # (UnprocessedKeys repeats the request's projection and read consistency).
        requests.append(1)
        if len(requests) == 1:
            item = parsed["Responses"][TABLE].pop()
            unread = {"Keys": [{"pk": item["pk"], "sk": item["sk"]}], "ProjectionExpression": "pk, sk, n"}
            parsed["UnprocessedKeys"] = {TABLE: {**unread, "ConsistentRead": True}}

    session.events.register("after-call.dynamodb.BatchGetItem", throttle_one)
    db = session.client("dynamodb")
    for n in range(250):
        db.put_item(TableName=TABLE, Item={**_key(f"P#{n}"), "n": {"N": str(n)}, "body": {"S": "x"}})
    keys = [_key(f"P#{n}") for n in range(250)] + [_key("P#missing")]

    found = list(batch_get(db, TABLE, keys, consistent=True, projection="pk, sk, n"))

    assert sorted(int(raw["n"]["N"]) for raw in found) == list(range(250))
    assert {frozenset(raw) for raw in found} == {frozenset({"pk", "sk", "n"})}
    assert len(requests) == 4  # 100 + 100 + 51 keys, and one retry of the unread item


def test_query_all_reads_every_page(session):
    db = session.client("dynamodb")
    for n in range(7):
        db.put_item(TableName=TABLE, Item=_key("Q", f"{n:02}"))

    found = query_all(
        db,
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "Q"}},
        Limit=2,
    )

    assert [raw["sk"]["S"] for raw in found] == [f"{n:02}" for n in range(7)]


def test_a_cancelled_transaction_names_the_operation_whose_condition_failed(session):
    db = session.client("dynamodb")
    db.put_item(TableName=TABLE, Item=_key("T#taken"))
    operations = [
        {
            "Put": {
                "TableName": TABLE,
                "Item": _key("T#free"),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {
            "Put": {
                "TableName": TABLE,
                "Item": _key("T#taken"),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]

    with pytest.raises(ClientError) as cancelled:
        transact_write(db, operations)

    assert cancellation_reasons(cancelled.value) == ["None", CONDITION_FAILED]
    assert "Item" not in db.get_item(TableName=TABLE, Key=_key("T#free"))  # all or nothing


def test_other_errors_have_no_cancellation_reasons_and_a_refused_put_is_a_failed_condition(session):
    db = session.client("dynamodb")
    db.put_item(TableName=TABLE, Item=_key("C"))

    with pytest.raises(ClientError) as refused:
        db.put_item(TableName=TABLE, Item=_key("C"), ConditionExpression="attribute_not_exists(pk)")

    assert condition_failed(refused.value)
    assert cancellation_reasons(refused.value) == []
    assert cancellation_reasons(ValueError("not AWS")) == []


def test_a_conditional_write_refused_by_its_condition_is_false_and_other_errors_raise(session):
    db = session.client("dynamodb")
    new = {"TableName": TABLE, "Item": item_key("U", "A"), "ConditionExpression": "attribute_not_exists(pk)"}

    assert unless_refused(db.put_item, **new) is True
    assert unless_refused(db.put_item, **new) is False
    with pytest.raises(ClientError) as missing:
        unless_refused(db.put_item, **{**new, "TableName": "no-such-table"})
    assert not condition_failed(missing.value)


class Conflicts:
    """Cancels the next `times` TransactWriteItems as DynamoDB does when another transaction
    holds one of its items (the second operation's reason TransactionConflict)."""

    def __init__(self, session: Any, times: int) -> None:
        self.times, self.sent = times, 0
        session.events.register("before-call.dynamodb.TransactWriteItems", self)

    def __call__(self, model: Any, **_: Any) -> None:
        self.sent += 1
        if self.times:
            self.times -= 1
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "in use"}]
            error = {"Code": "TransactionCanceledException", "Message": "conflict"}
            raise ClientError({"Error": error, "CancellationReasons": reasons}, model.name)  # type: ignore[typeddict-unknown-key]


@pytest.mark.parametrize(("conflicts", "lands"), [(2, True), (3, False)])
def test_a_transaction_cancelled_by_a_conflict_is_sent_again_as_often_as_asked(session, conflicts, lands):
    conflict = Conflicts(session, conflicts)
    db = session.client("dynamodb")
    operations = [{"Put": {"TableName": TABLE, "Item": _key(f"T#{n}")}} for n in range(2)]

    if lands:
        transact_write(db, operations, conflict_retries=2)
    else:
        with pytest.raises(ClientError) as cancelled:
            transact_write(db, operations, conflict_retries=2)
        assert cancellation_reasons(cancelled.value) == ["None", "TransactionConflict"]

    assert conflict.sent == 3
    assert ("Item" in db.get_item(TableName=TABLE, Key=_key("T#1"))) is lands


def test_a_transaction_without_retries_or_with_a_failed_condition_is_sent_once(session):
    conflict = Conflicts(session, 1)
    db = session.client("dynamodb")
    with pytest.raises(ClientError):
        transact_write(db, [{"Put": {"TableName": TABLE, "Item": _key("T#1")}}])
    assert conflict.sent == 1
    db.put_item(TableName=TABLE, Item=_key("T#taken"))
    taken = {
        "Put": {
            "TableName": TABLE,
            "Item": _key("T#taken"),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }

    with pytest.raises(ClientError) as refused:
        transact_write(db, [taken], conflict_retries=2)

    assert cancellation_reasons(refused.value) == [CONDITION_FAILED] and conflict.sent == 2
