"""Cold start through the first message: what building services on first use moved, counted.

bench/cold_start.py measures the ingest function's cold start up to `services().ingest`;
what the services no longer build there is built by the first message that needs it (the
mail readers, the acknowledgement's outbound side, the search index's patterns). This
counts the whole of it: a fresh child in the unpacked package imports the app and handles
one SQS record (a new customer's text mail, acknowledged as the stage's config does),
against a moto server on loopback provisioned by `inbound provision`; the baseline child
imports boto3, builds one client and reads the same raw mail from S3. Instructions under
callgrind, child only (moto's work is in this process). There is no goal for this row: it
shows the first message's total, so that a lower cold start cannot hide a higher one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from bench import cold_start

MESSAGE_ID = "cold-start-first-message"
# The child may reach moto on loopback and nothing else.
_LOOPBACK_ONLY = (
    "import socket\n"
    "_connect = socket.socket.connect\n"
    "def _loopback(self, address):\n"
    "    if address[0] not in ('127.0.0.1', 'localhost'):\n"
    "        raise OSError('cold-start bench: loopback only')\n"
    "    return _connect(self, address)\n"
    "socket.socket.connect = _loopback\n"
)
_FIRST_MESSAGE = (
    "import json\n"
    "import app\n"
    "class _Context:\n"
    "    aws_request_id = 'cold-start'\n"
    "response = app.ingest(json.loads(EVENT), _Context())\n"
    "assert not (response or {}).get('batchItemFailures'), response\n"
)
_BASELINE_READ = (
    "import boto3\n"
    "client = boto3.session.Session().client('s3', region_name='us-east-1', endpoint_url=ENDPOINT)\n"
    "client.get_object(Bucket=BUCKET, Key=KEY)['Body'].read()\n"
)


def _mail() -> bytes:
    mail = EmailMessage()
    mail["From"] = "Alice Example <alice@customer.org>"
    mail["To"] = "support@example.com"
    mail["Subject"] = "Printer on fire"
    mail["Message-ID"] = "<cold-start-1@customer.org>"
    mail["Date"] = "Fri, 27 Nov 2026 10:00:00 +0000"
    mail.set_content("Hello, my printer is on fire. Order 4711, since this morning.\n")
    return mail.as_bytes()


def _event(bucket: str) -> dict:
    """One SQS record carrying SES's "Received" notification of an S3 action."""
    note = {
        "notificationType": "Received",
        "receipt": {
            "timestamp": "2026-11-27T10:00:01.000Z",
            "recipients": ["support@example.com"],
            **{f"{v}Verdict": {"status": "PASS"} for v in ("spam", "virus", "spf", "dkim", "dmarc")},
            "action": {"type": "S3", "bucketName": bucket, "objectKey": f"incoming/{MESSAGE_ID}"},
        },
        "mail": {
            "timestamp": "2026-11-27T10:00:01.000Z",
            "source": "alice@customer.org",
            "messageId": MESSAGE_ID,
            "destination": ["support@example.com"],
        },
    }
    record = {
        "messageId": "00000000-0000-4000-8000-000000000001",
        "receiptHandle": "cold-start",
        "body": json.dumps(note),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inbound-bench-ingest",
        "awsRegion": "us-east-1",
    }
    return {"Records": [record]}


def _count(code: str, cwd: Path, env: dict[str, str]) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        + [sys.executable, "-I", "-S", "-B", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    collected = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or not collected:
        raise RuntimeError(f"first-message child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(collected.group(1))


def count(task: Path, runtime: Path) -> tuple[int, int]:
    """Instructions of (cold start + first message, boto3 + one client + one GetObject)."""
    from inbound.local.embedded import moto_server, offline_credentials, stack_at

    offline_credentials()
    with moto_server() as endpoint:
        stack = stack_at(endpoint, stage="bench")
        bucket = stack.settings.mail_bucket
        key = f"incoming/{MESSAGE_ID}"
        stack.client("s3").put_object(Bucket=bucket, Key=key, Body=_mail())
        env = {
            **cold_start._env(),
            **stack.outputs,
            "INBOUND_ENDPOINT_URL": endpoint,
            "INBOUND_ACKNOWLEDGE": "true",  # as .chalice/config.json sets it for every stage
            "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
            "AWS_SESSION_TOKEN": os.environ["AWS_SESSION_TOKEN"],
        }
        baseline = _count(
            _LOOPBACK_ONLY
            + f"import sys\nsys.path[:0] = {[str(runtime)]!r}\n"
            + f"ENDPOINT, BUCKET, KEY = {endpoint!r}, {bucket!r}, {key!r}\n"
            + _BASELINE_READ,
            task,
            env,
        )
        measured = _count(
            _LOOPBACK_ONLY
            + f"import sys\nsys.path[:0] = {[str(task), str(runtime)]!r}\n"
            + f"EVENT = {json.dumps(json.dumps(_event(bucket)))}\n"
            + _FIRST_MESSAGE,
            task,
            env,
        )
        if stack.keys("incoming/"):
            raise RuntimeError("first-message child did not file the mail (incoming/ is not empty)")
    return measured, baseline
