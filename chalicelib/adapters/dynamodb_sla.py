"""The SLA targets an admin sets, as one item of the tickets table (pk `SETTINGS#SLA`).

Each (mailbox, priority) is its own attribute `target#<mailbox>#<priority>`, a map of the two
minute counts, so setting one pair is one UpdateItem that cannot undo a colleague's change
to another pair. Ingest reads the item in the BatchGetItem it makes anyway
(dynamodb_tickets.look_up), so filing a ticket costs no extra request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_sla_clock as sla_clock
from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.dynamodb_requests import query_all
from chalicelib.adapters.dynamodb_ticket_updates import changes_bump
from chalicelib.domain.sla import SlaPolicy, SlaTarget

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.domain.tickets import Ticket

SLA_KEY: dict[str, Any] = {"pk": {"S": "SETTINGS#SLA"}, "sk": {"S": "SLA"}}
_PREFIX = "target#"


def policy_from_item(raw: dict[str, Any] | None) -> SlaPolicy:
    targets = {}
    for name, value in (raw or {}).items():
        if not name.startswith(_PREFIX) or "M" not in value:
            continue
        mailbox, _, priority = name.removeprefix(_PREFIX).partition("#")
        minutes = value["M"]
        targets[mailbox, priority] = SlaTarget(
            first_response_minutes=int(minutes.get("first_response_minutes", {}).get("N", "0")),
            resolution_minutes=int(minutes.get("resolution_minutes", {}).get("N", "0")),
        )
    return SlaPolicy(targets)


class DynamoDBSlaSettings:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def policy(self) -> SlaPolicy:
        found = self._db.get_item(TableName=self.table, Key=SLA_KEY, ConsistentRead=True)
        return policy_from_item(found.get("Item"))

    def set_target(self, mailbox: str, priority: str, target: SlaTarget) -> None:
        """Set (or, with two zeros, clear) the target of one mailbox and priority."""
        names = {"#t": f"{_PREFIX}{mailbox}#{priority}"}
        if target == SlaTarget():
            self._db.update_item(
                TableName=self.table,
                Key=SLA_KEY,
                UpdateExpression="REMOVE #t",
                ExpressionAttributeNames=names,
            )
            return
        value = {
            "M": {
                "first_response_minutes": {"N": str(target.first_response_minutes)},
                "resolution_minutes": {"N": str(target.resolution_minutes)},
            }
        }
        self._db.update_item(
            TableName=self.table,
            Key=SLA_KEY,
            UpdateExpression="SET #t = :v",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":v": value},
        )


WATCH_INDEX = "slawatch"


class DynamoDBSlaWatch:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def overdue(self, mailbox: str, now: str, limit: int) -> list[Ticket]:
        """One Query: keys `<due>#<id>` up to `now` ("#~" sorts after every ticket id)."""
        found = query_all(
            self._db,
            TableName=self.table,
            IndexName=WATCH_INDEX,
            KeyConditionExpression="watchpk = :pk AND watchsk < :bound",
            ExpressionAttributeValues={":pk": {"S": f"SLA#{mailbox}"}, ":bound": {"S": f"{now}#~"}},
            Limit=limit,
        )
        tickets = []
        for raw in found:
            tickets.append(items.ticket_from_item(raw))
            if len(tickets) >= limit:
                break
        return tickets

    def moved(self, mailbox: str, ticket_id: str) -> None:
        self._db.update_item(**changes_bump(self.table, mailbox, ticket_id)["Update"])

    def flag(self, before: Ticket, after: Ticket) -> bool:
        sets, values, removes = sla_clock.sla_update(after)
        unchanged, was = sla_clock.sla_condition(before)
        values.update(was)
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self._db.update_item(
                TableName=self.table,
                Key=items.ticket_key(before.id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND " + unchanged,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
