"""The stage's SQS messages in the local stack's snapshot (`state`).

Without them a kill -9 lost whatever waited on a queue: SES's Send, Delivery, Bounce and
Complaint events on the feedback queue (a lost bounce never reaches the suppression
list, and the next mail goes to a dead address), announcement batches, replies held for
undo-send. Each snapshot keeps every message of the stage's queues, dead-letter queues
included, read from moto's in-process backend as `state` reads S3 and DynamoDB: body,
message attributes, and when a delayed one becomes visible (wall clock, so a held reply
whose undo window ran out while the stack was down is sent at once after the restart).

Also kept: each message's ApproximateReceiveCount, ApproximateFirstReceiveTimestamp and
SentTimestamp. The queues' redrive policies move a message to its dead-letter queue on the
receive after maxReceiveCount; with the count reset by every start, a message whose handler
crashes (a poison message that kills its container, or the whole stack) was retried
forever across restarts. SendMessage cannot set these attributes, so a restore sends the
message and then writes them on moto's copy of it (moto runs in this process).

A message in flight at the snapshot (received, not yet deleted) comes back visible: the
snapshot is taken while no worker runs (quiet.py), so no worker was processing it, and
nobody will hold its receipt handle after a restart. SQS itself would show it again only
after its visibility timeout. What restarts afresh: message ids and receipt handles.

Not kept: the ingest queue. Its notifications are rebuilt on start from the raw mail under
`incoming/` (`recovery.redrive_incoming`), the one place that knows which mail still waits;
keeping them too would deliver each such mail twice. Their receive counts are kept, though,
by SES message id (`ingest_receives`): a start quarantines the mail whose notification had
used up its receives (`recovery`) and gives the others' rebuilt notifications the counts
they had (`keep_ingest_receives`), so a mail that crashes the stack itself ends in
quarantine/failed/ after maxReceiveCount tries, as one that crashes its handler does.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

log = logging.getLogger("inbound.local")

REBUILT = ("ingest",)  # queue roles whose messages a start makes again (see above)
SQS_MAX_DELAY = 900  # seconds: SendMessage's DelaySeconds limit
_BATCH = 10  # SendMessageBatch's limit


def read(account: str, region: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Queue name -> its messages, for the stage's queues (`prefix`), from moto in this process."""
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import sqs_backends

    now_ms = unix_time_millis()  # moto's clock: the wall clock, in milliseconds
    skipped = {f"{prefix}{role}" for role in REBUILT}
    queues: dict[str, list[dict[str, Any]]] = {}
    for name, found in list(sqs_backends[account][region].queues.items()):
        if not name.startswith(prefix) or name in skipped:
            continue
        queues[name] = [_message(m, now_ms) for m in list(found._messages)]
    return queues


def ingest_receives(account: str, region: str, prefix: str) -> dict[str, dict[str, Any]]:
    """SES message id -> receive count and times, of the ingest queue's notifications that
    were received at least once (see the module docstring)."""
    from moto.sqs.models import sqs_backends

    found = sqs_backends[account][region].queues.get(f"{prefix}ingest")
    kept: dict[str, dict[str, Any]] = {}
    for message in list(found._messages) if found is not None else []:
        ses_message_id = _ses_message_id(message.body)
        if message.approximate_receive_count and ses_message_id:
            kept[ses_message_id] = _counts(message)
    return kept


def keep_ingest_receives(account: str, region: str, prefix: str, receives: dict[str, dict[str, Any]]) -> int:
    """The rebuilt ingest notifications take the counts and times the snapshot kept; how many."""
    from moto.sqs.models import sqs_backends

    found = sqs_backends[account][region].queues.get(f"{prefix}ingest")
    kept = 0
    for message in list(found._messages) if found is not None and receives else []:
        counts = receives.get(_ses_message_id(message.body))
        if counts:
            _set_counts(message, counts)
            kept += 1
    return kept


def _ses_message_id(body: str) -> str:
    from chalicelib.errors import BadNotification
    from chalicelib.services import notifications

    try:
        return notifications.decode(body, "").received.ses_message_id
    except (BadNotification, ValueError):
        return ""


def _counts(message: Any) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if message.approximate_receive_count:
        kept["receives"] = message.approximate_receive_count
        kept["first_received"] = message.approximate_first_receive_timestamp
    if message.sent_timestamp:
        kept["sent"] = message.sent_timestamp
    return kept


def _set_counts(message: Any, kept: dict[str, Any]) -> None:
    message.approximate_receive_count = int(kept.get("receives", 0))
    message.approximate_first_receive_timestamp = kept.get("first_received")
    message.sent_timestamp = kept.get("sent", message.sent_timestamp)


def _message(message: Any, now_ms: float) -> dict[str, Any]:
    kept: dict[str, Any] = {"body": message.body, **_counts(message)}
    if message.delayed_until > now_ms:  # still delayed: visible from then on
        kept["visible_at"] = int(message.delayed_until)
    if message.message_attributes:
        kept["attributes"] = {name: _encoded(value) for name, value in message.message_attributes.items()}
    return kept


def _encoded(value: dict[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    if isinstance(binary, bytes):
        return {**value, "BinaryValue": base64.b64encode(binary).decode("ascii")}
    return dict(value)


def restore(sqs: Any, queues: dict[str, list[dict[str, Any]]], account: str, region: str) -> int:
    """Send the snapshot's messages again, with their receive counts and times; returns how many."""
    restored = 0
    now_ms = time.time() * 1000
    for name, messages in queues.items():
        if not messages:
            continue
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        for start in range(0, len(messages), _BATCH):
            batch = messages[start : start + _BATCH]
            entries = [_entry(n, m, now_ms) for n, m in enumerate(batch)]
            answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
            for failed in answer.get("Failed", []):
                log.error("state: %s refused a message of the snapshot: %s", name, failed.get("Message"))
            sent = {done["MessageId"]: batch[int(done["Id"])] for done in answer.get("Successful", [])}
            _keep_counts(account, region, name, sent)
            restored += len(sent)
    return restored


def _keep_counts(account: str, region: str, name: str, sent: dict[str, dict[str, Any]]) -> None:
    """Moto's copies of the messages just sent take the counts and times they had."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account][region].queues[name]
    for message in list(queue._messages):
        kept = sent.get(message.id)
        if kept is not None:
            _set_counts(message, kept)


def _entry(n: int, message: dict[str, Any], now_ms: float) -> dict[str, Any]:
    delay = int(max(0.0, message.get("visible_at", 0) - now_ms) // 1000)
    entry: dict[str, Any] = {
        "Id": str(n),
        "MessageBody": message["body"],
        "DelaySeconds": min(delay, SQS_MAX_DELAY),
    }
    attributes = message.get("attributes")
    if attributes:
        entry["MessageAttributes"] = {
            name: {**value, "BinaryValue": base64.b64decode(value["BinaryValue"])}
            if "BinaryValue" in value
            else value
            for name, value in attributes.items()
        }
    return entry
