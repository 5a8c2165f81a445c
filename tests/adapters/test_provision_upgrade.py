"""Upgrading a stage: this version's provision over the state an earlier release's provision
left, as DEPLOY.md section 11 runs it (`git pull`, then provision).

GIVEN moto's server on loopback provisioned by the provision of an earlier commit (run from
`git archive` of it, in a process of its own), with a mail in the bucket and a ticket in the
table, WHEN this version's provision runs, THEN it adds what the release lacked and puts
back what it wrote differently, keeps the data, the stage keeps receiving through its rule,
and a second run changes nothing. Skipped, saying why, outside a git checkout that holds
the commit.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import boto3
import pytest

from inbound.stage.provision.run import provision

ROOT = Path(__file__).resolve().parents[2]
# 28 November 2026: provision as one module, the rule in the stage's own set made active,
# DMARC with rua, no identity feedback topic, no announcements, outbox, SLA or search indexes.
EARLIER = "c745a89c224d28a6d0d6348da4f2c276a26139f8"
STAGE, DOMAIN, REGION = "prod", "example.com", "us-east-1"


def earlier_release(dest: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", EARLIER], capture_output=True)
    if archive.returncode != 0:
        pytest.skip(f"commit {EARLIER[:7]} is not in this checkout: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def test_provision_over_an_earlier_releases_stage_adds_what_it_lacks_and_keeps_the_mail(endpoint, tmp_path):
    old = earlier_release(tmp_path / "earlier")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(
        PYTHONPATH=str(old),
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="offline",
        AWS_SECRET_ACCESS_KEY="offline",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "absent"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "absent"),
    )
    argv = ["provision", "--stage", STAGE, "--domain", DOMAIN, "--region", REGION, "--activate"]
    ran = subprocess.run(
        [sys.executable, "-c", "import sys; from inbound.cli import main; sys.exit(main())", *argv],
        cwd=old,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "inbound-prod-receive" in ran.stdout and "inbound-prod-identity-feedback" not in ran.stdout

    session = boto3.session.Session(region_name=REGION)
    s3, ddb, ses = (session.client(s, endpoint_url=endpoint) for s in ("s3", "dynamodb", "ses"))
    bucket = f"inbound-{STAGE}-mail-123456789012"
    s3.put_object(Bucket=bucket, Key="incoming/before-upgrade", Body=b"Subject: hi\r\n\r\nwaiting\r\n")
    item = {"pk": {"S": "TICKET#T-1001"}, "sk": {"S": "META"}}
    ddb.put_item(TableName=f"inbound-{STAGE}-tickets", Item=item)

    upgrade = provision(session, STAGE, DOMAIN, REGION, endpoint_url=endpoint)
    again = provision(session, STAGE, DOMAIN, REGION, endpoint_url=endpoint)

    done = {(e.resource, e.name): (e.action, e.detail) for e in upgrade.entries}
    assert done[("sns-topic", "inbound-prod-identity-feedback")][0] == "created"
    assert done[("sqs-queue", "inbound-prod-outbox")][0] == "created"
    assert done[("ses-configuration-set", "inbound-prod-announcements")][0] == "created"
    assert "index byrequester added" in done[("dynamodb-table", "inbound-prod-tickets")][1]
    assert done[("ses-receipt-rule", "inbound-prod-receive")] == ("changed", "TlsPolicy")
    assert [(e.resource, e.name, e.action) for e in again.entries if e.action != "unchanged"] == []

    active = ses.describe_active_receipt_rule_set()
    assert active["Metadata"]["Name"] == "inbound-prod"
    assert [r["Name"] for r in active["Rules"]] == ["inbound-prod-receive"]
    assert s3.get_object(Bucket=bucket, Key="incoming/before-upgrade")["Body"].read().endswith(b"waiting\r\n")
    assert ddb.get_item(TableName=f"inbound-{STAGE}-tickets", Key=item)["Item"] == item
