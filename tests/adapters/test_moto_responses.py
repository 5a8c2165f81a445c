"""moto's DynamoDB responses with item attribute values written out directly (inbound/local/moto_serialize.py).

GIVEN the embedded stack's moto, WHEN items of every attribute type are read back (GetItem,
Query, BatchGetItem, an Update's ReturnValues), THEN each value is what was written, as moto's
own serializer would write it, without moto's attribute picker walking the ten members of each
value; a value that is not a plain attribute value is left to moto's walk.
"""

from __future__ import annotations

from typing import Any

import pytest

from inbound.local.moto_serialize import _NotPlain, attribute_value
from tests.support.call_counts import calls_of

EVERY_TYPE: dict[str, Any] = {
    "s": {"S": "héllo"},
    "empty": {"S": ""},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "m": {"M": {"inner": {"L": [{"S": "x"}, {"BOOL": False}, {"NULL": True}]}, "none": {"M": {}}}},
    "l": {"L": []},
    "t": {"BOOL": True},
    "null": {"NULL": True},
}


def _picker_calls(action: Any) -> int:
    from moto.core.serialize import AttributePicker

    return calls_of(AttributePicker.__call__, action)


def test_items_of_every_attribute_type_read_back_as_written(stack):
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    key = {"pk": {"S": "R"}, "sk": {"S": "every"}}
    db.put_item(TableName=table, Item={**key, **EVERY_TYPE})
    expected = {**key, **EVERY_TYPE}
    sets = {"ss", "ns", "bs"}  # DynamoDB sets are unordered

    def same(item: dict[str, Any]) -> bool:
        plain = {k: v for k, v in item.items() if k not in sets}
        return plain == {k: v for k, v in expected.items() if k not in sets} and all(
            sorted(next(iter(item[k].values()))) == sorted(next(iter(expected[k].values()))) for k in sets
        )

    got = db.get_item(TableName=table, Key=key)["Item"]
    queried = db.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "R"}}
    )["Items"]
    batch = db.batch_get_item(RequestItems={table: {"Keys": [key]}})["Responses"][table]
    updated = db.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "-12.5"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]

    assert same(got) and same(queried[0]) and same(batch[0]) and same(updated)
    assert len(queried) == 1 and len(batch) == 1


def test_a_query_s_items_are_written_without_moto_s_attribute_picker(stack):
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    for n in range(3):
        item = {"pk": {"S": "Q"}, "sk": {"S": f"i{n}"}, "a": {"S": "x"}, "b": {"N": str(n)}, "c": {"L": []}}
        db.put_item(TableName=table, Item=item)

    def query() -> None:
        got = db.query(
            TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "Q"}}
        )
        assert [i["b"]["N"] for i in got["Items"]] == ["0", "1", "2"]

    assert _picker_calls(query) < 10  # the output's own members (Items, Count, ...); was 10 per value


@pytest.mark.parametrize(
    "value",
    [{"S": "a", "N": "1"}, {"X": "1"}, {"N": 1}, {"M": {"a": {"S": None}}}, {"L": [{}]}, {"SS": [1]}, "S"],
)
def test_a_value_that_is_not_a_plain_attribute_value_is_left_to_moto(value):
    with pytest.raises(_NotPlain):
        attribute_value(value)
