"""Agent names by Cognito `sub`, in the tickets table: one item per agent, written once.

| item        | pk               | sk    | attributes          |
| ----------- | ---------------- | ----- | ------------------- |
| agent name  | AGENT#<sub>      | NAME  | name, named_at      |
| directory   | AGENTNAME#<name> | AGENT | sub, disabled?, role? |
| roster      | AGENTS           | <name> | sub, disabled?     |

The put is conditional on the item not existing, so a name is never overwritten: two
first requests of a new agent racing both end with the name the first one wrote. The
directory entry (written with the name, in one transaction) is how the desk knows that
an assignee is a real agent without a Scan; agents named before it existed are entered
by `enlist` when a container first reads their name. The roster (one partition, one item
per agent, written with the directory entry) is how the console lists colleagues to assign
to with one Query. `inbound staff disable` stops the agent signing in (Cognito's
AdminDisableUser) and marks both entries `disabled`, so the agent leaves the roster and
cannot be assigned; `enlist` only sets `sub`, so a token still valid keeps the mark.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.dynamodb_requests import query_all
from chalicelib.services.ports.records import AgentStanding

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _key(subject: str) -> dict:
    return {"pk": {"S": f"AGENT#{subject}"}, "sk": {"S": "NAME"}}


ROSTER = "AGENTS"


def _roster_key(name: str) -> dict:
    return {"pk": {"S": ROSTER}, "sk": {"S": name[:1000]}}


def _roster_entry(subject: str, name: str) -> dict:
    return {**_roster_key(name), "sub": {"S": subject}}


def _disabled(item: dict) -> bool:
    return bool(item.get("disabled", {}).get("BOOL"))


def _directory_key(name: str) -> dict:
    # DynamoDB keys stop at 2048 bytes; an agent name is an email address (at most 254).
    return {"pk": {"S": f"AGENTNAME#{name[:1000]}"}, "sk": {"S": "AGENT"}}


class DynamoDBAgents:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    def name_of(self, subject: str) -> str:
        """The recorded name of this `sub`, or ""."""
        item = self._db.get_item(TableName=self.table, Key=_key(subject), ConsistentRead=True).get("Item")
        return str(item["name"]["S"]) if item else ""

    def record(self, subject: str, name: str) -> str:
        """Record `name` for `sub` unless it has one; the name it has afterwards."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        named = {**_key(subject), "name": {"S": name}, "named_at": {"S": at}}
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": named,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self.table, "Item": self._entry(subject, name)}},
                    {"Put": {"TableName": self.table, "Item": _roster_entry(subject, name)}},
                ]
            )
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            return self.name_of(subject)
        return name

    def enlist(self, subject: str, name: str) -> None:
        """Enter an agent named before the directory existed (idempotent; keeps `disabled`)."""
        for key in (_directory_key(name), _roster_key(name)):
            self._db.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression="SET #sub = :sub",
                ExpressionAttributeNames={"#sub": "sub"},
                ExpressionAttributeValues={":sub": {"S": subject}},
            )

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Mark (or unmark) an agent disabled; nothing for a name that never signed in."""
        update = (
            {"UpdateExpression": "SET disabled = :yes", "ExpressionAttributeValues": {":yes": {"BOOL": True}}}
            if disabled
            else {"UpdateExpression": "REMOVE disabled"}
        )
        for key in (_directory_key(name), _roster_key(name)):
            try:
                self._db.update_item(
                    TableName=self.table, Key=key, ConditionExpression="attribute_exists(pk)", **update
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise

    def roster(self) -> list[str]:
        """Every enabled agent's name, sorted (one Query, paged)."""
        found = query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": ROSTER}},
        )
        return [str(item["sk"]["S"]) for item in found if not _disabled(item)]

    def is_agent(self, name: str) -> bool:
        """Whether `name` is the name of an agent (one who has signed in) not disabled."""
        found = self._db.get_item(TableName=self.table, Key=_directory_key(name), ConsistentRead=True)
        return "Item" in found and not _disabled(found["Item"])

    def is_disabled(self, name: str) -> bool:
        """Whether an admin disabled or removed `name` (read consistently, at the moment of asking)."""
        found = self._db.get_item(TableName=self.table, Key=_directory_key(name), ConsistentRead=True)
        return "Item" in found and _disabled(found["Item"])

    def set_role(self, name: str, role: str) -> None:
        """Record the role an admin gave `name` on its directory entry; nothing for a name
        that never signed in (its first sign-in's token carries the role Cognito has)."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=_directory_key(name),
                UpdateExpression="SET #role = :role",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#role": "role"},
                ExpressionAttributeValues={":role": {"S": role}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def standing(self, name: str) -> AgentStanding:
        """Enabled, and the role recorded (one consistent GetItem, at the moment of asking)."""
        item = self._db.get_item(TableName=self.table, Key=_directory_key(name), ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            return AgentStanding()
        return AgentStanding(not _disabled(item), str(item.get("role", {}).get("S", "")))

    def _entry(self, subject: str, name: str) -> dict:
        return {**_directory_key(name), "sub": {"S": subject}}
