"""What a start of the local stack does with what the last run left, and with mail that fails.

On start, after the snapshot is restored (`state`): every journal entry the
snapshot does not hold goes back under `incoming/` (`journal`), then everything in
`incoming/` is re-driven: its "Received" notification is published again, as the
sweeper would. A mail whose notification cannot be published (or even built) is
quarantined under `quarantine/failed/` with the reason, its outcome recorded, and the
start goes on: one poisoned mail never keeps the stack from starting.

While running: a notification that failed its last receive moves its raw mail from
`incoming/` to `quarantine/failed/` (the poller's `on_exhausted` hook).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import is_not_found
from chalicelib.errors import BadNotification
from inbound.local.embedded import EmbeddedStack
from inbound.local.journal import Journal
from inbound.local.smtp import SesReceiver

log = logging.getLogger("inbound.local")


def quarantine_failed(stack: EmbeddedStack) -> Callable[[dict[str, Any]], None]:
    """After the last failed receive: the raw mail leaves incoming/ for quarantine/failed/."""
    from chalicelib.services import notifications

    def move(record: dict[str, Any]) -> None:
        try:
            received = notifications.decode(record["body"], stack.settings.mail_bucket).received
        except BadNotification:
            return  # nothing in the bucket to move; the record itself goes to the DLQ
        attempts = record["attributes"].get("ApproximateReceiveCount")
        detail = f"ingest failed {attempts} times; its notification is in the dead-letter queue"
        try:
            stack.store.quarantine(received.bucket, received.key, received.ses_message_id, "failed", detail)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
            return  # already moved out of incoming/
        log.warning("lambda ingest: %s quarantined in quarantine/failed/", received.ses_message_id)

    return move


def restore_journal(journal: Journal, covered: list[str], receiver: SesReceiver) -> int:
    """Journal entries newer than the restored snapshot go back under incoming/."""
    restored = 0
    for entry in journal.recover(covered):
        receiver.restore(entry)
        restored += 1
    return restored


def redrive_incoming(
    stack: EmbeddedStack,
    receiver: SesReceiver,
    receives: dict[str, dict[str, Any]] | None = None,
    max_receives: int = 0,
) -> tuple[int, int]:
    """Everything still in incoming/ (its notification was lost with the last run's queue);
    returns (re-driven, quarantined). `receives`: how often the last run's notifications were
    received (sqs_snapshot.ingest_receives); a mail whose notification had used up the
    queue's `max_receives` is quarantined, as the poller's `on_exhausted` would have."""
    bucket = stack.settings.mail_bucket
    redriven = quarantined = 0
    for key in stack.keys("incoming/"):
        ses_message_id = key.rpartition("/")[2]
        tries = int((receives or {}).get(ses_message_id, {}).get("receives", 0))
        if max_receives and tries >= max_receives:
            detail = f"ingest failed {tries} times, the last before the stack stopped; quarantined at start"
            stack.ingest.quarantine_failed(bucket, key, ses_message_id, detail)
            log.warning("start: %s quarantined in quarantine/failed/: %s", ses_message_id, detail)
            quarantined += 1
            continue
        # The start's boundary for one mail: whatever fails to re-drive it (a notification
        # SNS refuses, one that cannot be built, a header the builder chokes on) puts
        # that mail in quarantine with the reason; the start never aborts for it.
        try:
            redriven += receiver.redrive(bucket, key)
        except Exception as exc:  # noqa: BLE001
            detail = f"re-drive at start could not publish its notification: {type(exc).__name__}: {exc}"
            stack.ingest.quarantine_failed(bucket, key, ses_message_id, detail[:900])
            log.warning("start: %s quarantined in quarantine/failed/: %s", ses_message_id, detail[:300])
            quarantined += 1
    return redriven, quarantined
