"""A mailbox's saved replies in the tickets table: one partition per mailbox.

| item        | pk                  | sk        | attributes                               |
| ----------- | ------------------- | --------- | ---------------------------------------- |
| saved reply | REPLIES#<mailbox>   | <id>      | title, body, updated_at, updated_by      |

Listing is one Query of the mailbox's partition (no Scan; a mailbox keeps at most a few
hundred, domain/saved_replies.py), sorted by title here: titles change, ids do not. A new
reply is put only if its id is free and an edit only if it still exists (a colleague may
have deleted it), both by ConditionExpression, so neither resurrects nor overwrites.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.dynamodb_requests import query_all
from chalicelib.domain.saved_replies import SavedReply

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _pk(mailbox: str) -> str:
    return f"REPLIES#{mailbox}"


def _key(mailbox: str, reply_id: str) -> dict[str, Any]:
    return {"pk": {"S": _pk(mailbox)}, "sk": {"S": reply_id}}


def _reply(mailbox: str, item: dict[str, Any]) -> SavedReply:
    return SavedReply(
        mailbox=mailbox,
        id=item["sk"]["S"],
        title=item["title"]["S"],
        body=item["body"]["S"],
        updated_at=item.get("updated_at", {}).get("S", ""),
        updated_by=item.get("updated_by", {}).get("S", ""),
    )


class DynamoDBSavedReplies:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def list(self, mailbox: str) -> list[SavedReply]:
        items = query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": _pk(mailbox)}},
        )
        return sorted((_reply(mailbox, i) for i in items), key=lambda r: (r.title.casefold(), r.id))

    def get(self, mailbox: str, reply_id: str) -> SavedReply | None:
        item = self._db.get_item(TableName=self.table, Key=_key(mailbox, reply_id), ConsistentRead=True)
        return _reply(mailbox, item["Item"]) if "Item" in item else None

    def put(self, reply: SavedReply, new: bool) -> bool:
        item = {
            **_key(reply.mailbox, reply.id),
            "title": {"S": reply.title},
            "body": {"S": reply.body},
            "updated_at": {"S": reply.updated_at},
            "updated_by": {"S": reply.updated_by},
        }
        condition = "attribute_not_exists(pk)" if new else "attribute_exists(pk)"
        try:
            self._db.put_item(TableName=self.table, Item=item, ConditionExpression=condition)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def delete(self, mailbox: str, reply_id: str) -> bool:
        try:
            self._db.delete_item(
                TableName=self.table, Key=_key(mailbox, reply_id), ConditionExpression="attribute_exists(pk)"
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True
