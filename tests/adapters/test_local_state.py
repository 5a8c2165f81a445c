"""The local stack's snapshot (inbound/local/state.py) re-reads only the DynamoDB items
written since the last one (inbound/local/moto_changes.py), and still holds every item.

GIVEN moto's server in this process, provisioned as `inbound up` does, and a snapshot
taken, WHEN items are put, updated, deleted (alone, in batches, in transactions) and a
table appears, THEN the next snapshot holds exactly what a full read of the tables holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from inbound.local import moto_changes
from inbound.local.embedded import REGION, moto_server, stack_at
from inbound.local.state import LocalState

STAGE = "snap"


@pytest.fixture(scope="module")
def endpoint_stack() -> Iterator[Any]:
    with moto_server() as endpoint:
        yield stack_at(endpoint, stage=STAGE)


@dataclass
class Snapshots:
    clients: dict[str, Any]
    account: str

    def state(self, data_dir: Path) -> LocalState:
        return LocalState(data_dir, self.clients, STAGE, self.account, REGION)


@pytest.fixture
def snapshots(endpoint_stack: Any) -> Snapshots:
    moto_changes.install()
    clients = {name: endpoint_stack.client(name) for name in ("s3", "dynamodb", "ssm", "sts")}
    return Snapshots(clients, clients["sts"].get_caller_identity()["Account"])


@pytest.fixture
def state(snapshots: Snapshots, tmp_path: Path) -> tuple[LocalState, Any]:
    local = snapshots.state(tmp_path / "data")
    local.save()
    return local, snapshots.clients["dynamodb"]


def _saved_items(local: LocalState) -> dict[str, list[dict[str, Any]]]:
    return dict(json.loads(local.manifest.read_text())["dynamodb"])


def _full_read(snapshots: Snapshots, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """What a snapshot that reads every table whole holds now."""
    fresh = snapshots.state(tmp_path / "fresh")
    fresh.save()
    moto_changes.feed.everything()  # the fresh snapshot took the changes: read all again next time
    return _saved_items(fresh)


def _item(pk: str, sk: str, **extra: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}


def test_every_kind_of_write_reaches_the_next_snapshot(state, snapshots, endpoint_stack, tmp_path):
    local, db = state
    table = endpoint_stack.settings.tickets_table
    for n in range(4):
        db.put_item(TableName=table, Item=_item("T#1", f"m{n}", body="old"))
    local.save()

    db.update_item(
        TableName=table,
        Key=_item("T#1", "m0"),
        UpdateExpression="SET body = :b",
        ExpressionAttributeValues={":b": {"S": "new"}},
    )
    db.delete_item(TableName=table, Key=_item("T#1", "m1"))
    db.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": _item("T#2", "m0")}},
                {"DeleteRequest": {"Key": _item("T#1", "m2")}},
            ]
        }
    )
    db.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": _item("T#3", "m0")}},
            {"Delete": {"TableName": table, "Key": _item("T#1", "m3")}},
        ]
    )
    assert local.save()

    saved = _saved_items(local)
    assert saved == _full_read(snapshots, tmp_path)
    keys = {(row["pk"]["S"], row["sk"]["S"]) for row in saved[table]}
    assert {("T#1", "m0"), ("T#2", "m0"), ("T#3", "m0")} <= keys
    assert not {("T#1", "m1"), ("T#1", "m2"), ("T#1", "m3")} & keys
    assert next(r for r in saved[table] if r["sk"]["S"] == "m0" and r["pk"]["S"] == "T#1")["body"] == {
        "S": "new"
    }


def test_a_save_reads_only_the_items_written_since_the_last(state, snapshots, endpoint_stack):
    """An item changed inside moto without a request is not read again (the whole table
    is not re-read); the one written through the API is."""
    local, db = state
    table = endpoint_stack.settings.tickets_table
    db.put_item(TableName=table, Item=_item("T#9", "a", body="one"))
    db.put_item(TableName=table, Item=_item("T#9", "b", body="one"))
    local.save()
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    live = dynamodb_backends[snapshots.account][REGION].tables[table]
    live.items[DynamoType({"S": "T#9"})][DynamoType({"S": "a"})].attrs["body"] = DynamoType({"S": "unseen"})

    db.put_item(TableName=table, Item=_item("T#9", "b", body="two"))
    local.save()

    rows = {row["sk"]["S"]: row["body"]["S"] for row in _saved_items(local)[table] if row["pk"]["S"] == "T#9"}
    assert rows == {"a": "one", "b": "two"}


def test_a_new_table_is_read_whole(state):
    local, db = state
    name = f"inbound-{STAGE}-extra"
    db.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    db.put_item(TableName=name, Item={"pk": {"S": "only"}})
    local.save()

    assert _saved_items(local)[name] == [{"pk": {"S": "only"}}]
    db.delete_table(TableName=name)
    local.save()
    assert name not in _saved_items(local)
