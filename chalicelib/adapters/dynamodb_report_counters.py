"""The team report's counters in the tickets table, added to by the ticket writes themselves
(dynamodb_ticket_updates.report_adds, in the transactions of dynamodb_tickets, _queue and
_ticket_edits; what they count: domain/report_counts.py), read here by one Query a mailbox.

| item                 | pk               | sk                        | attributes                      |
| -------------------- | ---------------- | ------------------------- | ------------------------------- |
| a mailbox's day      | REPORT#<mailbox> | DAY#<yyyy-mm-dd>          | in, solved, reopened, net, ...  |
| an agent's day       | REPORT#<mailbox> | DAY#<yyyy-mm-dd>#AGENT#<a> | solved, responded, fr<n>, rs<n> |
| unsolved tickets now | REPORT#<mailbox> | ~OPEN                     | open                            |

`~OPEN` sorts after every day, so the Query from a report's first day to the end returns the
days the backlog needs (every day since the first, to today) and the count of now with them.
What it costs: the items ride in transactions the write makes anyway (no request more), each
2 write units: filing adds two (the day, ~OPEN), a first reply two (the mailbox's and the
agent's day), a solving three (the days and ~OPEN), a reopening two, a move, split or merge two to
four; other edits none.
Counting began when this shipped: tickets filed before it are not in `open`, so a stage that
had unsolved tickets then shows a backlog too low by that many.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.adapters.dynamodb_items import deserialize
from chalicelib.adapters.dynamodb_requests import query_all
from chalicelib.adapters.dynamodb_ticket_updates import OPEN_SK
from chalicelib.domain.reports import DayCounters

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_NOT_COUNTS = ("pk", "sk")


class DynamoDBReportCounters:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def stored_days(self, mailbox: str, first_day: str) -> tuple[list[DayCounters], int]:
        rows: list[DayCounters] = []
        open_now = 0
        for raw in query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk >= :first",
            ExpressionAttributeValues={
                ":pk": {"S": f"REPORT#{mailbox}"},
                ":first": {"S": f"DAY#{first_day}"},
            },
        ):
            item = deserialize(raw)
            sk = str(item["sk"])
            counts = {k: int(v) for k, v in item.items() if k not in _NOT_COUNTS}
            if sk == OPEN_SK:
                open_now = counts.get("open", 0)
                continue
            day, _, agent = sk.removeprefix("DAY#").partition("#AGENT#")
            rows.append(DayCounters(mailbox, day, agent, counts))
        return rows, open_now
