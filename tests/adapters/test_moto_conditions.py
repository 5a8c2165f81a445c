"""Condition expressions on the embedded stack's moto, lexed once per text (inbound/local/moto_speed.py).

GIVEN conditional writes with the conditions inbound uses and more, WHEN each is applied twice
(its text lexed the first time only), THEN each holds or fails as it did the first time, as
moto decides it, and a text moto cannot lex or parse is refused alike every time.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.call_counts import calls_of

CONDITIONS = [
    ("attribute_not_exists(pk)", False),
    ("attribute_exists(pk) AND n = :two", True),
    ("n <> :two OR begins_with(s, :pre)", True),
    ("NOT (n BETWEEN :one AND :two)", False),
    ("size(s) > :one AND n IN (:one, :two)", True),
    ("(#s = :pre) OR (attribute_type(n, :num) AND n >= :two)", True),
    ("contains(tags, :pre) AND n < :one", False),
]


def _lexes(action: Any) -> int:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    return calls_of(ConditionExpressionParser._lex_one_node, action)


def test_conditions_hold_or_fail_alike_each_time_and_are_lexed_once(stack):
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    key = {"pk": {"S": "C"}, "sk": {"S": "cond"}}
    db.put_item(
        TableName=table, Item={**key, "n": {"N": "2"}, "s": {"S": "prefix-x"}, "tags": {"SS": ["other"]}}
    )
    values = {":one": {"N": "1"}, ":two": {"N": "2"}, ":pre": {"S": "prefix"}, ":num": {"S": "N"}}

    def held(condition: str) -> bool:
        used = {k: v for k, v in values.items() if k in condition}
        names = {"#s": "s"} if "#s" in condition else {}
        try:
            db.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET seen = :one",
                ConditionExpression=condition,
                ExpressionAttributeValues={**used, ":one": values[":one"]},
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False
        return True

    first = [held(text) for text, _ in CONDITIONS]
    again: list[bool] = []
    lexed_again = _lexes(lambda: again.extend(held(text) for text, _ in CONDITIONS))

    assert first == again == [expected for _, expected in CONDITIONS]
    assert lexed_again == 0
    for bad in ("n = :one ^", "n == :one"):  # one that does not lex, one that does not parse
        refusals = []
        for _ in range(2):
            with pytest.raises((ClientError, ValueError)) as refused:
                held(bad)
            refusals.append(str(refused.value))
        assert refusals[0] == refusals[1]
