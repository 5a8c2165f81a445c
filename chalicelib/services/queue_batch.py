"""Running an SQS batch record by record, so one bad record cannot sink the rest.

Lambda's SQS event source deletes the whole batch when the function returns,
unless the mapping has `ReportBatchItemFailures` and the function names the
failed records in `batchItemFailures`. Chalice does not set that flag on the
mappings it creates, so returning the list is only safe when an operator (or
`inbound provision`) has enabled it: otherwise the batch is failed as a whole
and redelivered, which the idempotent pipeline absorbs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib import observability
from chalicelib.errors import InboundError

log = logging.getLogger("inbound.batch")


class BatchFailed(InboundError):
    """Some records of an SQS batch failed; the batch must be redelivered."""


# Nothing compares or prints a batch's result: no generated __eq__ or __repr__ to compile
# at every cold start (tests/unit/test_cold_start_imports.py).
@dataclass(eq=False, repr=False)
class BatchResult:
    succeeded: list[Any] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def response(self, partial_batch_responses: bool) -> dict[str, Any] | None:
        if not self.failed:
            return {"batchItemFailures": []} if partial_batch_responses else None
        if partial_batch_responses:
            return {"batchItemFailures": [{"itemIdentifier": m} for m in self.failed]}
        raise BatchFailed(f"{len(self.failed)} of {len(self.failed) + len(self.succeeded)} records failed")


def run_batch(records: Iterable[tuple[str, Any]], handle: Callable[[Any], Any]) -> BatchResult:
    """Apply `handle` to each (message id, body); collect failures by message id.

    Each record's log lines carry its `sqs_message_id` and the keys `handle` adds, and
    only those: they are dropped before the next record.
    """
    result = BatchResult()
    for message_id, body in records:
        with observability.scope(sqs_message_id=message_id):
            try:
                result.succeeded.append(handle(body))
            # The outermost boundary of a record: any error fails this record only,
            # is logged with its id, and the queue's retries and DLQ take over.
            except Exception:  # noqa: BLE001
                log.exception("record %s failed", message_id)
                result.failed.append(message_id)
    return result
