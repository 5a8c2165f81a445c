"""`inbound redrive` against a running `inbound up`: a mail ingest gave up on comes back, once."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from typing import Any

import pytest

from chalicelib.settings import Settings
from chalicelib.wiring import build_services
from tests.support.local_up import (
    CUSTOMER,
    ROOT,
    LocalStackRun,
    UpProcess,
    eventually,
    inbound_command,
    mail,
    mail_bucket,
    tickets,
    tickets_cli,
)
from tests.support.mail_factory import received_notification

pytestmark = pytest.mark.e2e


def _services(up: UpProcess) -> Any:
    """The stack's services from the test's side of its endpoint (never real AWS)."""
    import boto3

    env = {
        "INBOUND_STAGE": "local",
        "AWS_REGION": "us-east-1",
        "INBOUND_ENDPOINT_URL": up.endpoint,
        "INBOUND_MAIL_BUCKET": mail_bucket(up),
    }
    return build_services(Settings.from_env(env), boto3.session.Session(region_name="us-east-1"))


def _redrive(up: UpProcess, *argv: str) -> dict[str, Any]:
    done = subprocess.run(
        [*inbound_command(), "redrive", "--data-dir", str(up.data_dir), "--json", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _queue_empty(up: UpProcess, name: str) -> bool:
    sqs = up.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    found = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return (
        int(found["ApproximateNumberOfMessages"]) + int(found["ApproximateNumberOfMessagesNotVisible"]) == 0
    )


def test_redrive_brings_a_quarantined_mail_back_as_one_ticket_and_empties_the_dead_letter_queue(
    local_stack: LocalStackRun,
) -> None:
    """GIVEN a mail ingest gave up on (raw mail in quarantine/failed/ with its `failed` record,
    its notification in the ingest dead-letter queue) WHEN `inbound redrive` runs, twice
    THEN the mail is one ticket with its attachment, acknowledged once, and nothing is left."""
    up = local_stack.current
    bucket, ses_id = mail_bucket(up), f"redrive{secrets.token_hex(10)}"
    msg = mail("Stuck after five tries", attachment=("trace.log", b"line\n" * 500))
    up.client("s3").put_object(Bucket=bucket, Key=f"incoming/{ses_id}", Body=msg.as_bytes())
    services = _services(up)
    services.ingest.quarantine_failed(bucket, f"incoming/{ses_id}", ses_id, "ingest failed 5 times")
    sqs = up.client("sqs")
    dlq = sqs.get_queue_url(QueueName="inbound-local-ingest-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=received_notification(ses_id, bucket))
    assert services.ingest.ports.deliveries.get_delivery(ses_id)["quarantine_reason"] == "failed"

    report = _redrive(up)

    [redriven] = report["mail"]
    assert (redriven["ses_message_id"], redriven["result"], redriven["outcome"]) == (
        ses_id,
        "redriven",
        "created",
    )
    ticket_id = redriven["ticket"]
    assert [(q["queue"], q["moved"]) for q in report["queues"]] == [
        ("inbound-local-ingest", 1),
        ("inbound-local-feedback", 0),
        ("inbound-local-announce", 0),
    ]
    # The notification went back to the ingest queue; the local Lambda answers it as a duplicate.
    eventually(
        lambda: True if _queue_empty(up, "inbound-local-ingest") else None, what="ingest queue drained"
    )
    listed = [json.loads(line) for line in tickets_cli(up, "list", "--json", "--status", "all").splitlines()]
    row = next(t for t in listed if t["id"] == ticket_id)
    assert (row["subject"], row["requester"], row["attachments"]) == ("Stuck after five tries", CUSTOMER, 1)
    wanted = str(msg["Message-ID"]).strip("<>")
    stored = [m for m in tickets(up).messages(ticket_id) if m.message_id.strip("<>") == wanted]
    assert len(stored) == 1 and [a.filename for a in stored[0].attachments] == ["trace.log"]

    again = _redrive(up)

    assert again["mail"] == [] and [q["moved"] for q in again["queues"]] == [0, 0, 0]
    assert _queue_empty(up, "inbound-local-ingest-dlq")
    keys = [o["Key"] for o in up.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert [k for k in keys if k.startswith(("incoming/", "quarantine/"))] == []
    assert len([k for k in keys if k.startswith("archive/") and ses_id in k]) == 1
    acknowledgements = [
        json.loads(line)
        for line in subprocess.run(
            [*inbound_command(), "outbox", "--json", "--data-dir", str(up.data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.splitlines()
        if ticket_id in line
    ]
    assert len(acknowledgements) == 1 and acknowledgements[0]["to"] == [CUSTOMER]
