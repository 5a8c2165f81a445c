"""A stage's desired state, as data: what `inbound provision` puts and the template declares.

Every function here is pure: it reads `Names` (and the stage's settings) and needs no AWS
session, so `provision` compares these documents with what the account holds and
`cfn_template` writes them as resource properties, and the two cannot drift apart. The
alarms (`alarms.alarm_specs`), the SES documents (`ses_documents`: receipt rule, event types)
and the functions' IAM policies (`iam_policies`) are data in their own modules, read the
same way.
"""

from __future__ import annotations

from typing import Any

from inbound.stage.provision.context import Names

# --- the mail bucket -----------------------------------------------------------------------

# Archived raw mail moves to Glacier Instant Retrieval after 30 days, not Deep Archive:
# replaying or re-processing an archived message must be a plain GetObject (milliseconds),
# while Deep Archive needs a restore job of 12-48 hours and bills 180 days minimum.
# S3 by default does not transition objects under 128 KB (most plain mail), which is what
# we want: Glacier IR bills small objects as 128 KB anyway.
ARCHIVE_TRANSITION_DAYS = 30
ARCHIVE_STORAGE_CLASS = "GLACIER_IR"
MULTIPART_ABORT_DAYS = 7
UPLOAD_EXPIRY_DAYS = 1

PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
ENCRYPTION = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}
# incoming/ has no rule on purpose: unprocessed mail never expires. quarantine/ neither.
LIFECYCLE_RULES: list[dict[str, Any]] = [
    {
        "ID": "archive-to-glacier-ir",
        "Status": "Enabled",
        "Filter": {"Prefix": "archive/"},
        "Transitions": [{"Days": ARCHIVE_TRANSITION_DAYS, "StorageClass": ARCHIVE_STORAGE_CLASS}],
    },
    {
        # Reply attachments the console uploaded (chalicelib/domain/reply_uploads.py): a sent
        # reply keeps its own copy under attachments/; an upload never sent is dropped.
        "ID": "expire-reply-uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": "uploads/"},
        "Expiration": {"Days": UPLOAD_EXPIRY_DAYS},
    },
    {
        "ID": "abort-incomplete-multipart-uploads",
        "Status": "Enabled",
        "Filter": {},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": MULTIPART_ABORT_DAYS},
    },
]


def bucket_policy(n: Names) -> dict[str, Any]:
    """SES may write raw mail to incoming/, for this account's receipt rule only (in
    whichever rule set it lives, see provision/receiving.py); nobody may use the bucket
    without TLS.

    moto (before inbound.local.moto_fidelity) applied a Deny statement without evaluating its
    condition, refusing every object call: the embedded stack installs that fix.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSESReceiptRulePuts",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{n.bucket_arn}/incoming/*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": n.account},
                    "ArnLike": {"aws:SourceArn": n.rule_arn_pattern},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [n.bucket_arn, f"{n.bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def console_origin(rest_api_id: str, region: str, url_suffix: str = "amazonaws.com") -> str:
    """The origin the console is served from: the stage's API (chalice deploy's REST API)."""
    return f"https://{rest_api_id}.execute-api.{region}.{url_suffix}"


def upload_cors(*console_origins: str) -> dict[str, Any]:
    """The console posts reply attachments straight to the bucket (a presigned POST, see
    chalicelib/adapters/s3_uploads.py). A browser sends that cross-origin POST (a form body:
    no preflight) and lets the page read S3's answer only when the bucket's CORS rule names
    the console's origin and POST; nothing else of the bucket is opened to any page."""
    return {
        "CORSRules": [
            {
                "ID": "console-reply-uploads",
                "AllowedOrigins": list(console_origins),
                "AllowedMethods": ["POST"],
                "AllowedHeaders": ["*"],
                "MaxAgeSeconds": 600,
            }
        ]
    }


# --- the tables ----------------------------------------------------------------------------

TABLE_KEYS = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
TICKETS_INDEXES = {
    "queue": ("gsi1pk", "gsi1sk"),
    "byassignee": ("gsi2pk", "gsi2sk"),
    "byrequester": ("gsi3pk", "gsi3sk"),  # customer history (chalicelib/adapters/dynamodb_search.py)
    # SLA (chalicelib/adapters/dynamodb_sla_clock.due_keys): the queue's lanes by due time, and
    # the sparse index of clocks still to breach, which the sweeper reads up to now.
    "queuebydue": ("gsi1pk", "duesk"),
    "slawatch": ("watchpk", "watchsk"),
}
TTL_ATTRIBUTE = "expires_at"


def tables(n: Names) -> dict[str, dict[str, tuple[str, str]]]:
    """The stage's tables, each with its global secondary indexes (name: hash and range key)."""
    return {n.tickets_table: TICKETS_INDEXES, n.suppression_table: {}}


def index_definition(name: str, hash_key: str, range_key: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def attribute_definitions(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def table_definition(name: str, indexes: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """CreateTable's parameters, which are also the AWS::DynamoDB::Table properties."""
    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": TABLE_KEYS,
        # Two indexes may share a key attribute (queue and queuebydue: gsi1pk); AWS refuses
        # an attribute defined twice.
        "AttributeDefinitions": attribute_definitions(
            *dict.fromkeys(("pk", "sk", *(key for pair in indexes.values() for key in pair)))
        ),
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = [index_definition(i, *keys) for i, keys in indexes.items()]
    return definition


# --- topics and queues ---------------------------------------------------------------------

FOURTEEN_DAYS = 1_209_600  # the SQS maximum
MAX_RECEIVE_COUNT = 5
# AWS: an SQS event source's visibility timeout should be at least 6x the function timeout,
# so a batch retried by Lambda is not handed to a second invocation while the first runs.
VISIBILITY_PER_FUNCTION_TIMEOUT = 6
SQS_MAX_VISIBILITY = 43_200
# Which topic feeds which queue; the announce queue has no topic (its batches come from
# `inbound announce send` and from send_announcement itself).
PIPES = {"ingest": "received", "feedback": "feedback"}
ANNOUNCE_ROLE = "announce"
# Undo-send: held replies' delayed sends (chalicelib/services/held_replies.py), read by send_reply.
OUTBOX_ROLE = "outbox"
REPLY_FUNCTION_TIMEOUT = 60
SEND_FUNCTION_TIMEOUT = 300  # 50 recipients at 1 a second (the sandbox's rate) and margin


def visibility_timeout(function_timeout: int) -> int:
    """A queue's visibility timeout for the function that reads it."""
    return min(function_timeout * VISIBILITY_PER_FUNCTION_TIMEOUT, SQS_MAX_VISIBILITY)


def topic_policy(n: Names, role: str) -> dict[str, Any]:
    """Let SES publish to `role`'s topic, for this account's rule or configuration set only."""
    # feedback: the stage's configuration set and the announcements' (see below)
    source: str | list[str] = (
        n.rule_arn_pattern
        if role == "received"
        else [n.configuration_set_arn, f"{n.configuration_set_arn}-announcements"]
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSESPublish",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "SNS:Publish",
                "Resource": n.topic_arn(role),
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": n.account},
                    "ArnLike": {"aws:SourceArn": source},
                },
            }
        ],
    }


def queue_policy(n: Names, queue_role: str, topic_role: str) -> dict[str, Any]:
    """Only `topic_role`'s topic may send to the queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowTopicSend",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": n.queue_arn(queue_role),
                "Condition": {"ArnEquals": {"aws:SourceArn": n.topic_arn(topic_role)}},
            }
        ],
    }


# --- staff sign-in -------------------------------------------------------------------------

PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 3,
}
# Set when the pool is created only: AWS cannot change them in place.
POOL_SIGN_IN = {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}
# update_user_pool resets whatever it is not given, so these travel together.
POOL_SETTINGS: dict[str, Any] = {
    "Policies": {"PasswordPolicy": PASSWORD_POLICY},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
    "AutoVerifiedAttributes": ["email"],
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
}
AUTH_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]
CLIENT_SETTINGS: dict[str, Any] = {
    "ExplicitAuthFlows": AUTH_FLOWS,
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "RefreshTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    # What ID tokens carry: the app names a new agent only by a verified email
    # (chalicelib/domain/staff_identity.py). Said outright: moto puts only the attributes
    # listed here into its ID tokens, where Cognito's default is every attribute.
    "ReadAttributes": ["email", "email_verified"],
}
