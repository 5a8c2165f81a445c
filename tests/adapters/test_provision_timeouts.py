"""`inbound provision` (and the CloudFormation path's template) size each queue's visibility
timeout from its function's timeout in .chalice/config.json, as DEPLOY.md says (six times it:
AWS's advice for SQS event sources).

GIVEN a project whose config.json raises ingest's timeout to 300 s and send_reply's to 90 s,
WHEN `inbound provision --project-dir` runs, THEN the ingest queue waits 1,800 s and the
outbox 540 s (not the 720 s and 360 s of the shipped timeouts); a project without the stage
in its config.json gets the shipped ones.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from inbound.cli import main
from inbound.stage.package import stage_template

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".chalice").mkdir()
    shutil.copy2(ROOT / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    return tmp_path


@pytest.fixture
def slower(project: Path) -> Path:
    """The project with ingest's timeout raised to 300 s and send_reply's to 90 s."""
    path = project / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    functions = config["stages"]["dev"]["lambda_functions"]
    functions["ingest"]["lambda_timeout"] = 300
    functions["send_reply"]["lambda_timeout"] = 90
    path.write_text(json.dumps(config))
    return project


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def visibility(sqs: Any, queue: str) -> int:
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    return int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
    )


def provision(project: Path, stage: str) -> None:
    argv = [
        "provision",
        "--stage",
        stage,
        "--domain",
        "example.com",
        "--region",
        REGION,
        "--project-dir",
        str(project),
    ]
    assert main(argv) == 0


def test_visibility_timeouts_follow_the_function_timeouts_in_config_json(slower, sqs):
    provision(slower, "dev")

    assert visibility(sqs, "inbound-dev-ingest") == 1800
    assert visibility(sqs, "inbound-dev-outbox") == 540
    functions = json.loads((slower / ".chalice" / "config.json").read_text())["stages"]["dev"][
        "lambda_functions"
    ]
    assert visibility(sqs, "inbound-dev-feedback") == 6 * functions["record_feedback"]["lambda_timeout"]
    assert visibility(sqs, "inbound-dev-announce") == 6 * functions["send_announcement"]["lambda_timeout"]


def test_the_templates_queues_follow_them_too(slower):
    resources = stage_template(slower, "dev")["Resources"]
    queues = {
        r["Properties"]["QueueName"]: r["Properties"].get("VisibilityTimeout")
        for r in resources.values()
        if r.get("Type") == "AWS::SQS::Queue"
    }
    assert queues["inbound-dev-ingest"] == 1800
    assert queues["inbound-dev-outbox"] == 540


def test_a_stage_config_json_does_not_name_gets_the_shipped_timeouts(project, sqs):
    provision(project, "qa")

    assert visibility(sqs, "inbound-qa-ingest") == 720
    assert visibility(sqs, "inbound-qa-outbox") == 360


def test_lambda_refuses_the_event_source_until_provision_has_resized_the_queue(project, sqs):
    """The order DEPLOY.md gives after raising a lambda_timeout: provision, then chalice deploy.
    Lambda (and moto, made as strict: inbound/local/moto_fidelity.py) refuses to map a queue
    whose visibility timeout is shorter than the function's timeout."""
    provision(project, "dev")  # ingest's shipped 120 s: its queue waits 720 s
    path = project / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    config["stages"]["dev"]["lambda_functions"]["ingest"]["lambda_timeout"] = 900  # Lambda's longest
    path.write_text(json.dumps(config))
    lam, iam = boto3.client("lambda", region_name=REGION), boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="ingest", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(  # as chalice deploys it from the raised config.json
        FunctionName="inbound-dev-ingest",
        Runtime="python3.11",
        Role=role,
        Handler="app.ingest",
        Code={"ZipFile": b"PK"},
        Timeout=900,
    )
    queue = f"arn:aws:sqs:{REGION}:123456789012:inbound-dev-ingest"

    with pytest.raises(ClientError) as refused:
        lam.create_event_source_mapping(EventSourceArn=queue, FunctionName="inbound-dev-ingest", BatchSize=10)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Queue visibility timeout: 720 seconds is less than Function timeout: 900 seconds" in str(
        refused.value
    )

    provision(project, "dev")
    assert visibility(sqs, "inbound-dev-ingest") == 5400
    lam.create_event_source_mapping(EventSourceArn=queue, FunctionName="inbound-dev-ingest", BatchSize=10)
