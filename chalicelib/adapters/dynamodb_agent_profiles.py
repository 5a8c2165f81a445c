"""Each agent's profile in the tickets table: the display name their replies' From carries
and their signature, by the agent's name (their address, as tickets name them).

| item    | pk               | sk      | attributes              |
| ------- | ---------------- | ------- | ----------------------- |
| profile | PROFILE#<agent>  | PROFILE | display_name, signature |

Read once per reply and per composer opening (one GetItem); written by the agent alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.saved_replies import AgentProfile

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _key(agent: str) -> dict[str, Any]:
    # DynamoDB keys stop at 2048 bytes; an agent name is an email address (at most 254).
    return {"pk": {"S": f"PROFILE#{agent[:1000]}"}, "sk": {"S": "PROFILE"}}


class DynamoDBAgentProfiles:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def get(self, agent: str) -> AgentProfile | None:
        item = self._db.get_item(TableName=self.table, Key=_key(agent), ConsistentRead=True).get("Item")
        if item is None:
            return None
        return AgentProfile(agent, item["display_name"]["S"], item["signature"]["S"])

    def put(self, profile: AgentProfile) -> None:
        item = {
            **_key(profile.agent),
            "display_name": {"S": profile.display_name},
            "signature": {"S": profile.signature},
        }
        self._db.put_item(TableName=self.table, Item=item)
