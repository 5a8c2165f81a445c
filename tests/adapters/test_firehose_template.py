"""`inbound package --firehose` declares what `inbound provision --firehose` makes.

GIVEN the stage's merge template with the Firehose destination and a moto account provisioned
with --firehose (under the AWS contract), THEN the template's stream, roles and destinations
carry the same names, policies and settings (both come from firehose_documents), cfn-lint
passes them, and without --firehose the template holds none of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.wiring.clients import new_session
from inbound.stage.cfn_template import merge_template, template_names
from inbound.stage.provision.context import canonical
from inbound.stage.provision.run import provision
from tests.support.cfn_resolve import resolve

REGION = "eu-west-1"
STAGE, DOMAIN = "test", "example.com"
FIREHOSE_TYPES = {"AWS::KinesisFirehose::DeliveryStream"}


def _template(firehose: bool) -> dict[str, Any]:
    return merge_template(
        template_names(STAGE, DOMAIN),
        mailboxes=[f"support@{DOMAIN}"],
        ingest_function_timeout=60,
        feedback_function_timeout=60,
        firehose=firehose,
    )


@pytest.fixture(scope="module")
def provisioned() -> Iterator[boto3.session.Session]:
    with mock_aws():
        session = new_session(REGION)
        provision(session, STAGE, DOMAIN, REGION, firehose=True)
        yield session


def test_the_template_declares_the_stream_roles_and_destinations_provision_made(provisioned):
    resources = resolve(_template(firehose=True)["Resources"], REGION)
    iam = provisioned.client("iam", region_name=REGION)
    sesv2 = provisioned.client("sesv2", region_name=REGION)
    firehose = provisioned.client("firehose", region_name=REGION)

    declared_roles = {
        r["Properties"]["RoleName"]: r
        for r in resources.values()
        if r.get("Type") == "AWS::IAM::Role" and "firehose" in str(r["Properties"].get("RoleName"))
    }
    assert set(declared_roles) == {"inbound-test-firehose-delivery", "inbound-test-ses-firehose"}
    for name, role in declared_roles.items():
        made = iam.get_role(RoleName=name)["Role"]
        assert canonical(role["Properties"]["AssumeRolePolicyDocument"]) == canonical(
            made["AssumeRolePolicyDocument"]
        )
        [policy] = role["Properties"]["Policies"]
        have = iam.get_role_policy(RoleName=name, PolicyName=policy["PolicyName"])["PolicyDocument"]
        assert canonical(policy["PolicyDocument"]) == canonical(have)

    stream = resources["SesEventsDeliveryStream"]["Properties"]
    made = firehose.describe_delivery_stream(DeliveryStreamName=stream["DeliveryStreamName"])
    [s3] = made["DeliveryStreamDescription"]["Destinations"]
    s3 = s3["ExtendedS3DestinationDescription"]
    wanted = stream["ExtendedS3DestinationConfiguration"]
    assert wanted["RoleARN"] == {"Fn::GetAtt": ["InboundTestFirehoseDeliveryRole", "Arn"]}
    assert s3["RoleARN"].endswith(":role/inbound-test-firehose-delivery")
    for key in ("BucketARN", "Prefix", "CompressionFormat", "BufferingHints"):
        assert wanted[key] == s3[key], key

    declared = {
        (r["Properties"]["ConfigurationSetName"]["Ref"], r["Properties"]["EventDestination"]["Name"]): r
        for r in resources.values()
        if r.get("Type") == "AWS::SES::ConfigurationSetEventDestination"
        and "KinesisFirehoseDestination" in r["Properties"]["EventDestination"]
    }
    assert set(declared) == {
        ("ConfigurationSet", "inbound-test-firehose"),
        ("AnnouncementConfigurationSet", "inbound-test-firehose"),
    }
    for (set_id, name), resource in declared.items():
        set_name = resources[set_id]["Properties"]["Name"]
        [found] = [
            d
            for d in sesv2.get_configuration_set_event_destinations(ConfigurationSetName=set_name)[
                "EventDestinations"
            ]
            if d["Name"] == name
        ]
        kinds = resource["Properties"]["EventDestination"]["MatchingEventTypes"]
        # CloudFormation spells them camelCase, the sesv2 API in capitals with underscores.
        assert sorted(k.replace("Delay", "_DELAY").upper() for k in kinds) == sorted(
            found["MatchingEventTypes"]
        )
        assert ("OPEN" in found["MatchingEventTypes"]) == (set_id == "AnnouncementConfigurationSet")
        assert (
            found["KinesisFirehoseDestination"]["DeliveryStreamArn"]
            == made["DeliveryStreamDescription"]["DeliveryStreamARN"]
        )


def test_without_firehose_the_template_holds_none_of_it():
    resources = _template(firehose=False)["Resources"]
    assert not [r for r in resources.values() if r.get("Type") in FIREHOSE_TYPES]
    assert not any("Firehose" in logical_id for logical_id in resources)
    roles = [r["Properties"].get("RoleName") for r in resources.values() if r.get("Type") == "AWS::IAM::Role"]
    assert not [name for name in roles if "firehose" in str(name)]


def test_cfn_lint_passes_the_firehose_resources(tmp_path: Path):
    """The Firehose part with what it refers to (the bucket, the two sets), linted alone: the
    whole merge template refers to the functions `chalice package` adds (test_package.py)."""
    full = _template(firehose=True)["Resources"]
    kept = {"MailBucket", "ConfigurationSet", "AnnouncementConfigurationSet"}
    part = {
        logical_id: resource
        for logical_id, resource in full.items()
        if logical_id in kept or resource.get("Type") in FIREHOSE_TYPES or "Firehose" in logical_id
    }
    # The bucket's CORS rule names the API `chalice package` adds, which this part lacks.
    bucket = part["MailBucket"]["Properties"]
    part["MailBucket"] = {
        **part["MailBucket"],
        "Properties": {k: v for k, v in bucket.items() if k != "CorsConfiguration"},
    }
    path = tmp_path / "firehose.json"
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": part}))
    lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(lint), str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
