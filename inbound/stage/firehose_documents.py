"""The optional Kinesis Data Firehose destination's desired state, as data (documents.py's kind).

Every SES event of both configuration sets into the mail bucket, for long-term analysis
(Athena, a data lake): what `inbound provision --firehose` (provision/firehose.py) puts and
what `inbound package --firehose` declares (cfn_template.py) are built here from the same
`Names`, so the two cannot drift apart (tests/adapters/test_firehose_template.py).

- `inbound-<stage>-ses-events`: a DirectPut delivery stream writing gzip'd batches of the
  events' JSON under `ses-events/` in the mail bucket (Firehose adds `YYYY/MM/DD/HH/`).
- `inbound-<stage>-firehose-delivery`: the role Firehose assumes to write there (PutObject
  under that prefix only, plus the bucket look-ups its S3 writer makes).
- `inbound-<stage>-ses-firehose`: the role SES assumes to put records on the stream; its
  trust is held to this account and the stage's two configuration sets (SES's documented
  aws:SourceAccount / aws:SourceArn conditions).
- an event destination `inbound-<stage>-firehose` on each set (ses_documents.event_types: the
  announcements' set with their opens and clicks).
"""

from __future__ import annotations

from typing import Any

from inbound.stage.provision.context import Names
from inbound.stage.ses_documents import announcement_configuration_set

EVENTS_PREFIX = "ses-events/"
POLICY_NAME = "inbound"  # each role's one inline policy
BUFFERING = {"IntervalInSeconds": 300, "SizeInMBs": 5}


def stream_name(n: Names) -> str:
    return f"{n.prefix}-ses-events"


def stream_arn(n: Names) -> str:
    return f"arn:{n.partition}:firehose:{n.region}:{n.account}:deliverystream/{stream_name(n)}"


def destination_name(n: Names) -> str:
    return f"{n.prefix}-firehose"


def role_names(n: Names) -> tuple[str, str]:
    """(the role Firehose assumes, the role SES assumes)."""
    return f"{n.prefix}-firehose-delivery", f"{n.prefix}-ses-firehose"


def _trust(service: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def roles(n: Names) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """role name -> (trust policy, inline policy)."""
    delivery, ses = role_names(n)
    sets = [
        f"arn:{n.partition}:ses:{n.region}:{n.account}:configuration-set/{s}"
        for s in (n.configuration_set, announcement_configuration_set(n))
    ]
    return {
        delivery: (
            _trust("firehose.amazonaws.com", {"StringEquals": {"sts:ExternalId": n.account}}),
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                        "Resource": f"{n.bucket_arn}/{EVENTS_PREFIX}*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                        "Resource": n.bucket_arn,
                    },
                ],
            },
        ),
        ses: (
            _trust(
                "ses.amazonaws.com",
                {"StringEquals": {"aws:SourceAccount": n.account}, "ArnLike": {"aws:SourceArn": sets}},
            ),
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["firehose:PutRecordBatch"], "Resource": stream_arn(n)}
                ],
            },
        ),
    }


def s3_destination(n: Names, delivery_role_arn: Any) -> dict[str, Any]:
    """CreateDeliveryStream's ExtendedS3DestinationConfiguration, which is also the
    AWS::KinesisFirehose::DeliveryStream property of that name."""
    return {
        "RoleARN": delivery_role_arn,
        "BucketARN": n.bucket_arn,
        "Prefix": EVENTS_PREFIX,
        "CompressionFormat": "GZIP",
        "BufferingHints": BUFFERING,
    }
