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
import botocore.session
import pytest
from moto import mock_aws

from inbound.stage.provision.run import provision

REGION = "eu-west-1"
STAGE = "test"
DOMAIN = "example.com"
SETS = ("inbound-test", "inbound-test-announcements")
CLOUDWATCH = "inbound-test-cloudwatch"

# One model loader for the module (see test_provision.py).
_LOADER = botocore.session.get_session().get_component("data_loader")


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    with mock_aws():
        yield boto3.session.Session(botocore_session=core, region_name=REGION)


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
