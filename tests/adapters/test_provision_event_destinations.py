"""Configuration-set event destinations besides SNS, provisioned against moto (+ moto_sesv2.py).

GIVEN an empty (moto) account, WHEN provision runs, THEN the transactional and the
announcements' configuration sets each publish every event type to CloudWatch, by
configuration set and mailbox (message tags), a second run changes nothing and a
hand edit is put back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.wiring.clients import new_session
from inbound.stage.provision.run import delete, provision

REGION = "eu-west-1"
STAGE = "test"
DOMAIN = "example.com"
SETS = ("inbound-test", "inbound-test-announcements")
CLOUDWATCH = "inbound-test-cloudwatch"


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield new_session(REGION)


def destinations(session: boto3.session.Session, set_name: str) -> dict[str, dict[str, Any]]:
    sesv2 = session.client("sesv2", region_name=REGION)
    found = sesv2.get_configuration_set_event_destinations(ConfigurationSetName=set_name)
    return {d["Name"]: d for d in found["EventDestinations"]}


def test_both_sets_publish_every_event_to_cloudwatch_by_set_and_mailbox(session):
    provision(session, STAGE, DOMAIN, REGION)

    for set_name in SETS:
        found = destinations(session, set_name)
        assert set(found) == {"inbound-test-feedback", CLOUDWATCH}  # SNS stays beside it
        cloudwatch = found[CLOUDWATCH]
        assert cloudwatch["Enabled"] is True
        assert {"SEND", "DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"} <= set(
            cloudwatch["MatchingEventTypes"]
        )
        dimensions = {
            d["DimensionName"]: (d["DimensionValueSource"], d["DefaultDimensionValue"])
            for d in cloudwatch["CloudWatchDestination"]["DimensionConfigurations"]
        }
        assert dimensions == {
            "ses:configuration-set": ("MESSAGE_TAG", set_name),
            "mailbox": ("MESSAGE_TAG", "none"),  # the tag the sender puts on every mail
        }

    again = provision(session, STAGE, DOMAIN, REGION)
    assert {again.action("ses-event-destination", f"{s}/{CLOUDWATCH}") for s in SETS} == {"unchanged"}


def test_a_hand_edited_cloudwatch_destination_is_put_back(session):
    provision(session, STAGE, DOMAIN, REGION)
    sesv2 = session.client("sesv2", region_name=REGION)
    sesv2.update_configuration_set_event_destination(
        ConfigurationSetName=SETS[0],
        EventDestinationName=CLOUDWATCH,
        EventDestination={
            "Enabled": False,
            "MatchingEventTypes": ["SEND"],
            "CloudWatchDestination": {
                "DimensionConfigurations": [
                    {
                        "DimensionName": "x",
                        "DimensionValueSource": "EMAIL_HEADER",
                        "DefaultDimensionValue": "y",
                    }
                ]
            },
        },
    )

    report = provision(session, STAGE, DOMAIN, REGION)

    assert report.action("ses-event-destination", f"{SETS[0]}/{CLOUDWATCH}") == "changed"
    put_back = destinations(session, SETS[0])[CLOUDWATCH]
    assert put_back["Enabled"] is True and "BOUNCE" in put_back["MatchingEventTypes"]
    assert report.action("ses-event-destination", f"{SETS[1]}/{CLOUDWATCH}") == "unchanged"


def test_firehose_puts_both_sets_events_into_the_mail_bucket_and_delete_removes_it(session):
    """GIVEN --firehose WHEN provisioned THEN a delivery stream writes under ses-events/ in the
    mail bucket with a role Firehose may assume, each set's destination names the stream and a
    role only SES, for this account's two sets, may assume; a second run changes nothing;
    --delete removes stream and roles."""
    report = provision(session, STAGE, DOMAIN, REGION, firehose=True)

    firehose, iam = session.client("firehose", region_name=REGION), session.client("iam", region_name=REGION)
    stream = firehose.describe_delivery_stream(DeliveryStreamName="inbound-test-ses-events")[
        "DeliveryStreamDescription"
    ]
    (s3,) = stream["Destinations"]
    s3 = s3["ExtendedS3DestinationDescription"]
    assert s3["BucketARN"] == f"arn:aws:s3:::{report.outputs['INBOUND_MAIL_BUCKET']}"
    assert s3["Prefix"] == "ses-events/"
    for set_name in SETS:
        destination = destinations(session, set_name)["inbound-test-firehose"]["KinesisFirehoseDestination"]
        assert destination["DeliveryStreamArn"] == stream["DeliveryStreamARN"]
        trust = iam.get_role(RoleName="inbound-test-ses-firehose")["Role"]["AssumeRolePolicyDocument"]
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
        assert f"configuration-set/{set_name}" in " ".join(statement["Condition"]["ArnLike"]["aws:SourceArn"])
        assert destination["IamRoleArn"].endswith(":role/inbound-test-ses-firehose")
    put = iam.get_role_policy(RoleName="inbound-test-ses-firehose", PolicyName="inbound")["PolicyDocument"]
    assert put["Statement"][0]["Action"] == ["firehose:PutRecordBatch"]

    again = provision(session, STAGE, DOMAIN, REGION, firehose=True)
    assert again.action("firehose-delivery-stream") == "unchanged"
    assert {
        again.action("iam-role", r) for r in ("inbound-test-ses-firehose", "inbound-test-firehose-delivery")
    } == {"unchanged"}

    gone = delete(session, STAGE, REGION)
    assert gone.action("firehose-delivery-stream") == "deleted"
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"] if "firehose" in r["RoleName"]] == []


def test_only_the_announcements_set_tracks_opens_and_clicks(session):
    """SES tracks a set's mail (open pixel, redirected links) when a destination of the set
    takes OPEN or CLICK: every destination of the announcements' set does, none of the
    transactional set's (acknowledgements and replies to customers are never tracked)."""
    provision(session, STAGE, DOMAIN, REGION)

    transactional, announcements = (destinations(session, s) for s in SETS)
    assert all({"OPEN", "CLICK"} <= set(d["MatchingEventTypes"]) for d in announcements.values())
    assert not any({"OPEN", "CLICK"} & set(d["MatchingEventTypes"]) for d in transactional.values())
    assert (
        provision(session, STAGE, DOMAIN, REGION).action(
            "ses-event-destination", f"{SETS[1]}/inbound-test-feedback"
        )
        == "unchanged"
    )
