"""The template's SES resources: the receipt rule set and its rule, the two configuration
sets (replies and acknowledgements; announcements) with their event destinations (the
feedback topic, CloudWatch), and `--firehose`'s stream of sending events into the mail
bucket. Built from the documents `inbound provision` puts (`documents`, `firehose_documents`);
the logical ids they refer to (`MailBucket`, `FeedbackTopic`, ...) are `cfn_template`'s."""

from __future__ import annotations

from typing import Any

from chalice.utils import to_cfn_resource_name

from inbound.stage.cfn_refs import arn, ref
from inbound.stage.firehose_documents import POLICY_NAME as FIREHOSE_POLICY
from inbound.stage.firehose_documents import (
    destination_name,
    role_names,
    roles,
    s3_destination,
    stream_name,
)
from inbound.stage.provision.context import Names
from inbound.stage.ses_documents import (
    announcement_configuration_set,
    cloudwatch_destination_name,
    cloudwatch_dimensions,
    event_types,
    receipt_rule,
)


def _sending_events(names: Names, set_id: str, set_name: str) -> dict[str, Any]:
    """A configuration set, its events to the feedback topic and its CloudWatch destination."""
    return {
        set_id: {"Type": "AWS::SES::ConfigurationSet", "Properties": {"Name": set_name}},
        f"{set_id}EventDestination": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "DependsOn": ["FeedbackTopicPolicy"],
            "Properties": {
                "ConfigurationSetName": ref(set_id),
                "EventDestination": {
                    "Name": names.event_destination,
                    "Enabled": True,
                    "MatchingEventTypes": event_types(names, set_name, "cfn"),
                    "SnsDestination": {"TopicARN": ref("FeedbackTopic")},
                },
            },
        },
        f"{set_id}CloudWatchDestination": _cloudwatch_destination(names, set_id, set_name),
    }


def _cloudwatch_destination(names: Names, set_id: str, set_name: str) -> dict[str, Any]:
    """A configuration set's CloudWatch destination (ses_documents.cloudwatch_destination)."""
    return {
        "Type": "AWS::SES::ConfigurationSetEventDestination",
        "Properties": {
            "ConfigurationSetName": ref(set_id),
            "EventDestination": {
                "Name": cloudwatch_destination_name(names),
                "Enabled": True,
                "MatchingEventTypes": event_types(names, set_name, "cfn"),
                "CloudWatchDestination": {
                    "DimensionConfigurations": cloudwatch_dimensions(set_name, "messageTag")
                },
            },
        },
    }


def receiving_and_sending(names: Names, mailboxes: list[str]) -> dict[str, Any]:
    """The receipt rule set and rule, and the stage's configuration set."""
    rule = receipt_rule(names, mailboxes, names.topic_arn("received"))
    return {
        "ReceiptRuleSet": {"Type": "AWS::SES::ReceiptRuleSet", "Properties": {"RuleSetName": names.rule_set}},
        # SES checks, when the rule is created, that it may write to the bucket and
        # publish to the topic: the policies first.
        "ReceiptRule": {
            "Type": "AWS::SES::ReceiptRule",
            "DependsOn": ["MailBucketPolicy", "ReceivedTopicPolicy"],
            "Properties": {"RuleSetName": ref("ReceiptRuleSet"), "Rule": rule},
        },
        **_sending_events(names, "ConfigurationSet", names.configuration_set),
    }


def announcement_sending(names: Names) -> dict[str, Any]:
    """The announcements' own configuration set, publishing to the feedback topic (as
    provision/announcements.py makes it)."""
    return _sending_events(names, "AnnouncementConfigurationSet", announcement_configuration_set(names))


def firehose(names: Names) -> dict[str, Any]:
    """`--firehose`: the stream into the mail bucket, its two roles and a destination on each
    configuration set (firehose_documents, as provision/firehose.py makes them)."""
    delivery, ses = role_names(names)
    resources: dict[str, Any] = {
        f"{to_cfn_resource_name(name)}Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": name,
                "AssumeRolePolicyDocument": trust,
                "Policies": [{"PolicyName": FIREHOSE_POLICY, "PolicyDocument": policy}],
            },
        }
        for name, (trust, policy) in roles(names).items()
    }
    delivery_role, ses_role = (f"{to_cfn_resource_name(name)}Role" for name in (delivery, ses))
    resources["SesEventsDeliveryStream"] = {
        "Type": "AWS::KinesisFirehose::DeliveryStream",
        "DependsOn": ["MailBucket"],  # named by its ARN, a string: no GetAtt orders them
        "Properties": {
            "DeliveryStreamName": stream_name(names),
            "DeliveryStreamType": "DirectPut",
            "ExtendedS3DestinationConfiguration": s3_destination(names, arn(delivery_role)),
        },
    }
    for set_id, set_name in (
        ("ConfigurationSet", names.configuration_set),
        ("AnnouncementConfigurationSet", announcement_configuration_set(names)),
    ):
        resources[f"{set_id}FirehoseDestination"] = {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "Properties": {
                "ConfigurationSetName": ref(set_id),
                "EventDestination": {
                    "Name": destination_name(names),
                    "Enabled": True,
                    "MatchingEventTypes": event_types(names, set_name, "cfn"),
                    "KinesisFirehoseDestination": {
                        "DeliveryStreamARN": arn("SesEventsDeliveryStream"),
                        "IAMRoleARN": arn(ses_role),
                    },
                },
            },
        }
    return resources
