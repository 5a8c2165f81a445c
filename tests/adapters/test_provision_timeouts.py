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
