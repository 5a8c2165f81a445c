"""A stage's SES documents, as data (`documents`' kind): the receipt rule, which events each
configuration set's destinations publish (opens and clicks for announcements only), and the
CloudWatch destination's dimensions. `provision` puts them; `cfn_ses` declares them."""

from __future__ import annotations

from typing import Any

from inbound.stage.provision.context import Names

TLS_POLICIES = {"require": "Require", "optional": "Optional"}
# CloudFormation's spelling (AWS::SES::ConfigurationSetEventDestination) ...
EVENT_TYPES = ("send", "reject", "bounce", "complaint", "delivery", "deliveryDelay")
# ... and the sesv2 API's.
SESV2_EVENT_TYPES = ("SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "DELIVERY_DELAY")
# Open and click tracking, for announcements only. SES tracks a configuration set's mail
# (an open pixel, links through its redirect) when any of the set's event destinations takes
# OPEN or CLICK; the set's TrackingOptions only name a custom redirect domain. So the
# announcements' destinations take them, and the transactional set's (acknowledgements,
# replies to customers) never do: nobody's reply is tracked.
TRACKING_EVENT_TYPES = {"sesv2": ("OPEN", "CLICK"), "cfn": ("open", "click")}


def event_types(n: Names, set_name: str, spelling: str = "sesv2") -> list[str]:
    """What a destination of `set_name` publishes: every delivery event type, and for the
    announcements' set the tracked opens and clicks (`spelling`: sesv2, or cfn's)."""
    types = SESV2_EVENT_TYPES if spelling == "sesv2" else EVENT_TYPES
    tracked = TRACKING_EVENT_TYPES[spelling] if set_name == announcement_configuration_set(n) else ()
    return [*types, *tracked]


# The CloudWatch event destination of each configuration set, for SES's dashboards: every
# event type counted by two dimensions, both from message tags (MESSAGE_TAG): SES's own
# auto-tag naming the configuration set, and the `mailbox` tag the sender puts on every
# mail (chalicelib/adapters/ses_sender.py). A mail without the tag counts under `none`.
CLOUDWATCH_MAILBOX_DIMENSION = "mailbox"
CLOUDWATCH_SET_DIMENSION = "ses:configuration-set"


def cloudwatch_destination_name(n: Names) -> str:
    return f"{n.prefix}-cloudwatch"


def cloudwatch_dimensions(set_name: str, source: str = "MESSAGE_TAG") -> list[dict[str, str]]:
    """`source`: the sesv2 API's MESSAGE_TAG, or CloudFormation's `messageTag`."""
    return [
        {
            "DimensionName": CLOUDWATCH_SET_DIMENSION,
            "DimensionValueSource": source,
            "DefaultDimensionValue": set_name,
        },
        {
            "DimensionName": CLOUDWATCH_MAILBOX_DIMENSION,
            "DimensionValueSource": source,
            "DefaultDimensionValue": "none",
        },
    ]


def cloudwatch_destination(n: Names, set_name: str) -> dict[str, Any]:
    """The sesv2 EventDestination of a configuration set's CloudWatch destination."""
    return {
        "Enabled": True,
        "MatchingEventTypes": event_types(n, set_name),
        "CloudWatchDestination": {"DimensionConfigurations": cloudwatch_dimensions(set_name)},
    }


def receipt_rule(
    n: Names, mailboxes: list[str], received_topic_arn: str, tls: str = "optional"
) -> dict[str, Any]:
    """The stage's rule. TLS `optional` (the default) accepts mail from servers that do not
    offer STARTTLS, as most mail still may arrive; `require` refuses it (SES answers 530)."""
    return {
        "Name": n.rule,
        "Enabled": True,
        "TlsPolicy": TLS_POLICIES[tls],
        # A recipient that is a bare domain matches every address of that domain, so
        # plus-addresses (support+T-1.token@) and unknown local parts reach the app too;
        # the app routes those to the default mailbox.
        "Recipients": sorted({*mailboxes, n.domain}),
        "ScanEnabled": True,
        "Actions": [
            {
                "S3Action": {
                    "BucketName": n.bucket,
                    "ObjectKeyPrefix": "incoming/",
                    "TopicArn": received_topic_arn,
                }
            }
        ],
    }


def recipient_matches(patterns: list[str], address: str) -> bool:
    """SES's rule: an address matches itself, a domain every address at it, `.domain` its subdomains.
    A rule without recipients matches every address."""
    if not patterns:
        return True
    address = address.lower()
    host = address.rpartition("@")[2]
    for pattern in (p.lower() for p in patterns):
        if "@" in pattern:
            if address == pattern:
                return True
        elif pattern.startswith("."):
            if host.endswith(pattern):
                return True
        elif host == pattern:
            return True
    return False


def announcement_configuration_set(n: Names) -> str:
    """Announcements' own configuration set: SES tags their events with its name, so
    record_feedback counts their bounces and complaints apart from transactional mail's."""
    return f"{n.configuration_set}-announcements"
