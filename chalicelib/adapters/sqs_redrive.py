"""A queue and its dead-letter queue, for moving messages back: receive, send, delete.

The dead-letter queue is the one the queue's redrive policy names, so the pair can
never be mismatched. SQS's own move task (StartMessageMoveTask) would do the same
asynchronously, but it reports no per-message result and emulators lack it; three
plain calls keep the order that matters visible: a message is deleted from the
dead-letter queue only after its copy was accepted by the source queue.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.errors import ConfigurationError
from chalicelib.services.ports.records import DeadLetter

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Received messages stay invisible this long: ample for one send and one delete of ten.
VISIBILITY_SECONDS = 120


def _name_of(url_or_arn: str) -> str:
    return url_or_arn.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _sendable(attributes: dict[str, Any]) -> dict[str, Any]:
    """Message attributes as SendMessage takes them (the list fields are reserved, not accepted)."""
    keep = ("DataType", "StringValue", "BinaryValue")
    return {name: {k: v[k] for k in keep if k in v} for name, v in attributes.items()}


class SqsDeadLetters:
    def __init__(
        self,
        client: "SQSClient",
        source_url: str,
        dead_letter_url: str,
        wait_seconds: int = 1,
        visibility_seconds: int = VISIBILITY_SECONDS,
    ) -> None:
        self._sqs = client
        self.source_url = source_url
        self.dead_letter_url = dead_letter_url
        # Long polling asks every SQS server; a short poll may answer "empty" while
        # messages wait. Tests against an in-process emulator pass 0.
        self.wait_seconds = wait_seconds
        self.visibility_seconds = visibility_seconds

    @classmethod
    def of(
        cls,
        client: "SQSClient",
        source_queue: str,
        wait_seconds: int = 1,
        visibility_seconds: int = VISIBILITY_SECONDS,
    ) -> "SqsDeadLetters":
        """The queue named `source_queue` and the dead-letter queue of its redrive policy."""
        url = client.get_queue_url(QueueName=source_queue)["QueueUrl"]
        attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
        policy = json.loads(attributes.get("Attributes", {}).get("RedrivePolicy") or "{}")
        target = str(policy.get("deadLetterTargetArn") or "")
        if not target:
            raise ConfigurationError(f"queue {source_queue} has no dead-letter queue (no redrive policy)")
        account = target.split(":")[4] if target.count(":") >= 5 else ""
        extra = {"QueueOwnerAWSAccountId": account} if account.isdigit() else {}
        dead_letter_url = client.get_queue_url(QueueName=_name_of(target), **extra)["QueueUrl"]
        return cls(client, url, dead_letter_url, wait_seconds, visibility_seconds)

    @property
    def name(self) -> str:
        return _name_of(self.source_url)

    @property
    def dead_letter_name(self) -> str:
        return _name_of(self.dead_letter_url)

    def waiting(self) -> int:
        """About how many messages the dead-letter queue holds (SQS counts approximately)."""
        found = self._sqs.get_queue_attributes(
            QueueUrl=self.dead_letter_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(found.get("ApproximateNumberOfMessages", 0)) + int(
            found.get("ApproximateNumberOfMessagesNotVisible", 0)
        )

    def receive(self) -> list[DeadLetter]:
        got = self._sqs.receive_message(
            QueueUrl=self.dead_letter_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait_seconds,
            VisibilityTimeout=self.visibility_seconds,
            MessageAttributeNames=["All"],
        )
        return [
            DeadLetter(m["MessageId"], m["ReceiptHandle"], m["Body"], dict(m.get("MessageAttributes") or {}))
            for m in got.get("Messages", [])
        ]

    def send_to_source(self, letters: Sequence[DeadLetter]) -> set[str]:
        """Send copies to the source queue; the message ids whose copy SQS accepted."""
        if not letters:
            return set()
        entries: list[Any] = []
        for n, letter in enumerate(letters):
            entry: dict[str, Any] = {"Id": str(n), "MessageBody": letter.body}
            if letter.message_attributes:
                entry["MessageAttributes"] = _sendable(letter.message_attributes)
            entries.append(entry)
        answer = self._sqs.send_message_batch(QueueUrl=self.source_url, Entries=entries)
        return {letters[int(ok["Id"])].message_id for ok in answer.get("Successful", [])}

    def delete(self, letters: Sequence[DeadLetter]) -> set[str]:
        """Delete from the dead-letter queue; the message ids that were deleted."""
        if not letters:
            return set()
        entries: list[Any] = [
            {"Id": str(n), "ReceiptHandle": x.receipt_handle} for n, x in enumerate(letters)
        ]
        answer = self._sqs.delete_message_batch(QueueUrl=self.dead_letter_url, Entries=entries)
        return {letters[int(ok["Id"])].message_id for ok in answer.get("Successful", [])}
