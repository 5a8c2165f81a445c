"""`inbound teardown` against moto: the command an operator types to remove a stage.

GIVEN a provisioned stage with mail in its bucket, WHEN teardown runs without --yes,
THEN it prints what it would delete and keep and changes nothing; WITH --yes it deletes
the stage's resources and keeps the mail bucket, tables, staff pool and secret; a later
`--delete-data --yes` (a teardown run again) removes those too, and says how many
objects went with the bucket. While chalice's functions are still deployed it refuses
in one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from inbound.cli import main
from inbound.local import moto_fidelity
from inbound.stage.provision.run import provision

REGION = "eu-west-1"
STAGE = "test"
BUCKET = "inbound-test-mail-123456789012"  # moto's default account
TEARDOWN = ["teardown", "--stage", STAGE, "--region", REGION]


@pytest.fixture
def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    moto_fidelity.install()  # DeleteReceiptRule; DeleteConfigurationSet of a set already gone
    monkeypatch.chdir(tmp_path)  # the project dir: no .chalice/deployed/ unless a test writes one
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        provision(session, STAGE, "example.com", REGION)
        s3 = session.client("s3")
        for key in ("incoming/abc", "archive/2026/12/07/def.eml"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"Subject: hi\r\n\r\nmail\r\n")
        yield session


def inventory(session: boto3.session.Session) -> dict[str, Any]:
    return {
        "buckets": [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]],
        "tables": session.client("dynamodb").list_tables()["TableNames"],
        "queues": session.client("sqs").list_queues().get("QueueUrls", []),
        "topics": session.client("sns").list_topics()["Topics"],
        "rule_sets": session.client("ses").list_receipt_rule_sets().get("RuleSets", []),
        "configuration_sets": session.client("ses").list_configuration_sets().get("ConfigurationSets", []),
        "alarms": session.client("cloudwatch").describe_alarms()["MetricAlarms"],
        "pools": session.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"],
    }


def lines(out: str) -> dict[str, str]:
    """RESOURCE NAME -> the rest of its report line."""
    found = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].startswith(("s3-", "sqs-", "sns-", "ses-", "dynamodb-", "cognito-")):
            found[f"{parts[0]} {parts[1]}"] = parts[2]
    return found


def test_without_yes_it_lists_what_it_would_delete_and_changes_nothing(stage, capsys):
    sqs = stage.client("sqs")
    outbox = sqs.get_queue_url(QueueName="inbound-test-outbox")["QueueUrl"]
    sqs.send_message(QueueUrl=outbox, MessageBody='{"ticket": "T-1001"}', DelaySeconds=10)  # a held reply
    before = inventory(stage)

    assert main(TEARDOWN) == 0
    plan = capsys.readouterr().out
    assert main([*TEARDOWN, "--delete-data"]) == 0
    plan_with_data = capsys.readouterr().out

    assert inventory(stage) == before
    assert lines(plan)["sqs-queue inbound-test-ingest"] == "would delete"
    assert lines(plan)["sqs-queue inbound-test-outbox"] == "would delete  1 message on it"
    assert lines(plan)["ses-receipt-rule-set inbound-test"] == "would delete"
    assert lines(plan)[f"s3-bucket {BUCKET}"].startswith("kept")
    assert "Nothing was changed (dry run)" in plan and "--yes" in plan.splitlines()[-1]
    assert lines(plan_with_data)[f"s3-bucket {BUCKET}"] == "would delete  2 objects with it"
    assert lines(plan_with_data)["dynamodb-table inbound-test-tickets"] == "would delete"


def test_yes_keeps_the_data_and_a_second_teardown_with_delete_data_removes_it(stage, capsys):
    assert main([*TEARDOWN, "--yes"]) == 0
    first = capsys.readouterr().out
    left = inventory(stage)
    assert left["buckets"] == [BUCKET] and len(left["tables"]) == 2 and len(left["pools"]) == 1
    assert not (left["queues"] or left["topics"] or left["rule_sets"] or left["alarms"])
    assert not left["configuration_sets"]
    assert lines(first)["sqs-queue inbound-test-ingest"] == "deleted"
    assert "torn down; mail bucket, tables, staff pool and reply secret kept" in first

    assert main([*TEARDOWN, "--delete-data"]) == 0  # the plan after a teardown: only the data is left
    plan = lines(capsys.readouterr().out)
    assert {line for line in plan.values() if line.startswith("would")} == {
        "would delete",
        "would delete  2 objects with it",
    }
    assert plan["sqs-queue inbound-test-ingest"] == plan["ses-configuration-set inbound-test"] == "absent"

    assert main([*TEARDOWN, "--delete-data", "--yes"]) == 0
    assert lines(capsys.readouterr().out)[f"s3-bucket {BUCKET}"] == "deleted  2 objects with it"
    assert inventory(stage) == {key: [] for key in left}


def test_refuses_in_one_line_while_chalices_functions_are_deployed(stage, tmp_path, capsys):
    deployed = tmp_path / ".chalice" / "deployed"
    deployed.mkdir(parents=True)
    (deployed / f"{STAGE}.json").write_text(
        json.dumps({"resources": [{"name": "ingest", "resource_type": "lambda_function"}]})
    )
    before = inventory(stage)

    assert main([*TEARDOWN, "--yes"]) == 1

    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and "chalice delete --stage test" in err
    assert inventory(stage) == before
