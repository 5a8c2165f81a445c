"""`inbound provision --after-deploy`: the `chalice deploy` path gets what the
CloudFormation path has, ReportBatchItemFailures on both SQS event sources, and keeps it
through the next deploy.

GIVEN the stage provisioned and its functions deployed as Chalice deploys them (moto: the
functions exist, their mappings have no FunctionResponseTypes) WHEN the operator runs
--after-deploy THEN both mappings report failed records and then both functions answer
with them; a second run changes nothing; Chalice's next deploy (UpdateEventSourceMapping
with the batch settings only, the config's variables put back) keeps the mapping's
setting, and the functions fail whole batches until the step runs again.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from inbound.cli import main
from inbound.stage.provision.run import provision

REGION = "eu-west-1"
STAGE = "test"
FUNCTIONS = {"ingest": "ingest", "record_feedback": "feedback"}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture
def deployed() -> Iterator[tuple[Any, dict[str, str]]]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        outputs = provision(session, STAGE, "example.com", REGION).outputs
        iam, lam = session.client("iam"), session.client("lambda")
        trust = {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
        uuids = {}
        for function, role in FUNCTIONS.items():
            arn = iam.create_role(
                RoleName=f"inbound-{STAGE}-{function}", AssumeRolePolicyDocument=json.dumps(trust)
            )["Role"]["Arn"]
            name = f"inbound-{STAGE}-{function}"
            lam.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=arn,
                Handler="app.handler",
                Code={"ZipFile": _zip()},
                Environment={"Variables": {"INBOUND_STAGE": STAGE}},
            )
            queue = outputs[f"INBOUND_{role.upper()}_QUEUE_ARN"]
            uuids[function] = lam.create_event_source_mapping(
                EventSourceArn=queue, FunctionName=name, BatchSize=10
            )["UUID"]
        yield lam, uuids


ARGS = ["provision", "--stage", STAGE, "--region", REGION, "--after-deploy"]


def response_types(lam: Any, uuid: str) -> list[str]:
    return list(lam.get_event_source_mapping(UUID=uuid).get("FunctionResponseTypes") or [])


def switch(lam: Any, function: str) -> str | None:
    env = lam.get_function_configuration(FunctionName=f"inbound-{STAGE}-{function}")["Environment"][
        "Variables"
    ]
    return env.get("INBOUND_PARTIAL_BATCH_RESPONSES")


def test_after_deploy_turns_on_partial_batches_and_a_later_chalice_deploy_keeps_the_mapping(deployed, capsys):
    lam, uuids = deployed
    assert [response_types(lam, u) for u in uuids.values()] == [[], []]

    assert main(ARGS) == 0
    assert " changed " in capsys.readouterr().out
    assert [response_types(lam, u) for u in uuids.values()] == [["ReportBatchItemFailures"]] * 2
    assert [switch(lam, f) for f in uuids] == ["true", "true"]

    assert main(ARGS) == 0  # nothing left to do
    assert " changed " not in capsys.readouterr().out

    # chalice deploy again: the mapping updated with its batch settings, the variables
    # of .chalice/config.json put back.
    for function, uuid in uuids.items():
        lam.update_event_source_mapping(UUID=uuid, BatchSize=10, MaximumBatchingWindowInSeconds=0)
        lam.update_function_configuration(
            FunctionName=f"inbound-{STAGE}-{function}", Environment={"Variables": {"INBOUND_STAGE": STAGE}}
        )
    assert [response_types(lam, u) for u in uuids.values()] == [["ReportBatchItemFailures"]] * 2
    assert [switch(lam, f) for f in uuids] == [None, None]  # whole batches: safe until the step runs


def test_after_deploy_before_any_deploy_says_what_to_do_in_one_line(capsys):
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        provision(session, STAGE, "example.com", REGION)
        assert main(ARGS) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("run `chalice deploy` first") and "\n" not in err


def test_a_chalice_deploy_to_another_region_is_refused_in_one_line(tmp_path, capsys):
    """`chalice deploy` has no --region: under a profile of us-east-1 it deploys there, whatever
    Region the stage was provisioned in, and its functions cannot map the stage's queues."""
    deployed = tmp_path / ".chalice" / "deployed"
    deployed.mkdir(parents=True)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:inbound-{STAGE}-ingest"
    role = f"arn:aws:iam::123456789012:role/inbound-{STAGE}-ingest"
    resources = [{"name": "ingest", "resource_type": "lambda_function", "lambda_arn": arn, "role_arn": role}]
    (deployed / f"{STAGE}.json").write_text(json.dumps({"resources": resources}))

    with mock_aws():
        assert main([*ARGS, "--project-dir", str(tmp_path)]) == 1

    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"chalice deployed stage {STAGE} to us-east-1" in err
    assert f"but the stage lives in {REGION}" in err and f"AWS_DEFAULT_REGION={REGION} chalice deploy" in err
