"""Queueing announcement batches on SQS (the queue `send_announcement` reads)."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_MAX_DELAY = 900


class SqsBatches:
    def __init__(self, client: SQSClient, queue_name: str) -> None:
        self._sqs = client
        self.queue_name = queue_name
        self._url = ""
        self._lock = threading.Lock()

    def _queue_url(self) -> str:
        with self._lock:
            if not self._url:
                self._url = str(self._sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"])
            return self._url

    def enqueue(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url(),
            MessageBody=json.dumps(body, separators=(",", ":")),
            DelaySeconds=max(0, min(SQS_MAX_DELAY, delay_seconds)),
        )
