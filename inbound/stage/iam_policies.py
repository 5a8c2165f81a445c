"""Each Lambda function's IAM policy, derived from the stage's names: one source for them all.

Chalice cannot see the clients the services build (it reads app.py only), so
`autogen_policy` is off and every function's role gets `.chalice/policy-<stage>-<function>.json`.
Those files are written from these documents, never by hand (`chalice_config`, which also
reads the stage's names from its environment): by `inbound provision --write-config`
(with the account, Region, domain and mailboxes of the provisioned stage) and by
`inbound policies --stage S` (from the stage in .chalice/config.json; an account or Region
not known yet becomes a wildcard that matches one account: `????????????`). The
recorded-calls test (tests/adapters/test_iam_policy.py) checks every call each function
makes against these documents, for a domain and account that are not the defaults.

Sending. SES authorizes SendRawEmail against the sending identity *and*, while the account
is in the sandbox, against the recipient's identity too (a verified address or domain of
the same account); an address identity such as `support@<domain>`, where one exists, is
the one checked before the domain. So the grant is `identity/*` of the stage's account and
Region, held to the stage's own mailboxes by the `ses:FromAddress` condition key (the
Source address), which SES's IAM guide lists for SendRawEmail. Naming only
`identity/<domain>` was refused in the sandbox and for address identities.
"""

from __future__ import annotations

from typing import Any

from inbound.stage.provision.context import Names

FUNCTIONS = ("ingest", "record_feedback", "sweep_incoming", "api_handler", "send_announcement", "send_reply")

_EVENT_SOURCE_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
# SES account look-ups: their actions have no resource type, IAM takes only "*".
_SES_LOOKUPS = ["ses:GetAccount", "ses:GetSuppressedDestination", "ses:GetIdentityVerificationAttributes"]


def lambda_name(names: Names, function: str) -> str:
    """The name `chalice deploy` gives a function (the API handler's is app and stage only)."""
    return names.prefix if function == "api_handler" else f"{names.prefix}-{function}"


def _statement(sid: str, actions: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    resource: str | list[str] = resources[0] if len(resources) == 1 else resources
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource, **extra}


class _Arns:
    def __init__(self, names: Names) -> None:
        self.n = names
        self.p = names.partition

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.p}:{service}:{self.n.region}:{self.n.account}:{resource}"

    def objects(self, *prefixes: str) -> list[str]:
        return [f"{self.n.bucket_arn}/{prefix}/*" for prefix in prefixes]

    def table(self, name: str) -> str:
        return self.arn("dynamodb", f"table/{name}")

    def log_group(self, function: str) -> str:
        return self.arn("logs", f"log-group:/aws/lambda/{lambda_name(self.n, function)}:*")


def _common(a: _Arns, mailboxes: list[str], sending_identity_arn: str = "") -> dict[str, dict[str, Any]]:
    n = a.n
    # Sending authorization, inbound as the delegate (INBOUND_SENDING_IDENTITY_ARN): SES checks
    # the caller's own IAM policy on the owner's identity ARN too, besides the owner's policy.
    delegated = {
        "SendAsTheOwnersIdentity": _statement(
            "SendAsTheOwnersIdentity",
            ["ses:SendRawEmail"],
            [sending_identity_arn],
            Condition={"StringEquals": {"ses:FromAddress": sorted(mailboxes)}},
        )
    }
    return {
        **(delegated if sending_identity_arn else {}),
        "ReplySecret": _statement(
            "ReplySecret",
            ["ssm:GetParameter"],
            [
                a.arn("ssm", f"parameter{n.reply_secret_parameter}"),
                a.arn("ssm", f"parameter{n.previous_reply_secret_parameter}"),
            ],
        ),
        # The base of links in mail, when INBOUND_PUBLIC_URL does not name it (adapters/ssm_public_url.py).
        "PublicUrl": _statement(
            "PublicUrl", ["ssm:GetParameter"], [a.arn("ssm", f"parameter{n.public_url_parameter}")]
        ),
        "SendAsTheStageMailboxes": _statement(
            "SendAsTheStageMailboxes",
            ["ses:SendRawEmail"],
            [a.arn("ses", "identity/*")],
            Condition={"StringEquals": {"ses:FromAddress": sorted(mailboxes)}},
        ),
        "SendThroughConfigurationSet": _statement(
            "SendThroughConfigurationSet",
            ["ses:SendRawEmail"],
            [a.arn("ses", f"configuration-set/{n.configuration_set}")],
        ),
        "SesAccountLookups": _statement("SesAccountLookups", list(_SES_LOOKUPS), ["*"]),
        # The account's SES reputation (AWS/SES Reputation.*) for the outbound guard.
        "AccountReputation": _statement("AccountReputation", ["cloudwatch:GetMetricData"], ["*"]),
        "TicketEvents": _statement("TicketEvents", ["sns:Publish"], [n.topic_arn("events")]),
    }


def _own_logs(a: _Arns, function: str) -> dict[str, Any]:
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    return _statement("OwnLogGroup", actions, [a.log_group(function)])


def _tickets(a: _Arns, actions: list[str]) -> dict[str, Any]:
    return _statement("Tickets", [f"dynamodb:{x}" for x in actions], [a.table(a.n.tickets_table)])


def _suppression(a: _Arns, actions: list[str]) -> dict[str, Any]:
    return _statement(
        "SuppressionTable", [f"dynamodb:{x}" for x in actions], [a.table(a.n.suppression_table)]
    )


_SUPPRESSION_WRITE = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "Query"]
_TICKETS_WRITE = ["GetItem", "PutItem", "UpdateItem", "BatchGetItem"]


def _ingest(a: _Arns, common: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    n = a.n
    return [
        _own_logs(a, "ingest"),
        _statement("IngestQueueEventSource", list(_EVENT_SOURCE_ACTIONS), [n.queue_arn("ingest")]),
        _statement(
            "IncomingMail", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], a.objects("incoming")
        ),
        _statement(
            "ArchiveAndQuarantine", ["s3:GetObject", "s3:PutObject"], a.objects("archive", "quarantine")
        ),
        _statement("TicketContent", ["s3:PutObject"], a.objects("attachments", "bodies")),
        _statement("ListForExistenceChecks", ["s3:ListBucket"], [n.bucket_arn]),
        _tickets(a, _TICKETS_WRITE),
        _suppression(a, _SUPPRESSION_WRITE),
        *common.values(),
    ]


def _sweep_incoming(a: _Arns, common: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    n = a.n
    return [
        _own_logs(a, "sweep_incoming"),
        _statement("IncomingMail", ["s3:GetObject", "s3:DeleteObject"], a.objects("incoming")),
        _statement("Archive", ["s3:GetObject", "s3:PutObject"], a.objects("archive")),
        _statement("Quarantine", ["s3:PutObject"], a.objects("quarantine")),
        _statement("TicketContent", ["s3:PutObject"], a.objects("attachments", "bodies")),
        _statement("ListIncomingAndExistenceChecks", ["s3:ListBucket"], [n.bucket_arn]),
        _tickets(a, _TICKETS_WRITE),
        # The SLA breach watch (chalicelib/adapters/dynamodb_sla.py), run after the sweep.
        _statement("SlaWatch", ["dynamodb:Query"], [a.table(f"{n.tickets_table}/index/slawatch")]),
        _suppression(a, _SUPPRESSION_WRITE),
        *common.values(),
    ]


def _record_feedback(a: _Arns) -> list[dict[str, Any]]:
    return [
        _own_logs(a, "record_feedback"),
        _statement("FeedbackQueueEventSource", list(_EVENT_SOURCE_ACTIONS), [a.n.queue_arn("feedback")]),
        _suppression(a, ["PutItem", "UpdateItem", "BatchGetItem"]),
        # An announcement recipient's state from its SES events (sent, delivered, bounced...).
        _tickets(a, ["UpdateItem"]),
    ]


def _send_announcement(
    a: _Arns, common: dict[str, dict[str, Any]], warmup_pool: bool
) -> list[dict[str, Any]]:
    n = a.n
    queue = n.queue_arn("announce")
    # A standard dedicated pool's warm-up (INBOUND_WARMUP_POOL): GetDedicatedIps has no
    # resource type (it lists the account's IPs, by pool or not), so IAM takes only "*".
    warmup = [_statement("DedicatedPoolWarmup", ["ses:GetDedicatedIps"], ["*"])] if warmup_pool else []
    return [
        _own_logs(a, "send_announcement"),
        _statement("AnnounceQueueEventSource", list(_EVENT_SOURCE_ACTIONS), [queue]),
        # What the 24-hour quota cannot hold goes back on the queue, delayed.
        _statement("AnnounceQueueDefer", ["sqs:SendMessage", "sqs:GetQueueUrl"], [queue]),
        _tickets(a, ["GetItem", "UpdateItem", "BatchGetItem"]),
        _suppression(a, ["GetItem", "Query"]),
        _statement(
            "SendThroughAnnouncementSet",
            ["ses:SendRawEmail"],
            [a.arn("ses", f"configuration-set/{n.configuration_set}-announcements")],
        ),
        *warmup,
        *(v for k, v in common.items() if k not in ("SendThroughConfigurationSet", "TicketEvents")),
    ]


# The console's staff administration (services/staff_admin.py): the stage's user pool only.
_STAFF_ADMINISTRATION = [
    f"cognito-idp:{action}"
    for action in (
        "ListUsers",
        "ListUsersInGroup",
        "AdminCreateUser",
        "AdminAddUserToGroup",
        "AdminRemoveUserFromGroup",
        "AdminEnableUser",
        "AdminDisableUser",
        "AdminUserGlobalSignOut",
        "AdminDeleteUser",
    )
]


def _send_reply(a: _Arns, common: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A held reply when its undo window has passed: the staff reply's path (the tickets,
    the guard's suppression table, the reply's files, SES) and nothing of the API's else."""
    return [
        _own_logs(a, "send_reply"),
        _statement("OutboxQueueEventSource", list(_EVENT_SOURCE_ACTIONS), [a.n.queue_arn("outbox")]),
        _statement("ReplyUploads", ["s3:GetObject"], a.objects("uploads")),
        _statement("TicketContent", ["s3:PutObject"], a.objects("attachments", "bodies")),
        _tickets(a, ["GetItem", "PutItem", "UpdateItem", "Query"]),
        _suppression(a, ["GetItem", "UpdateItem", "Query"]),
        *common.values(),
    ]


def _api_handler(a: _Arns, common: dict[str, dict[str, Any]], user_pool_id: str) -> list[dict[str, Any]]:
    n = a.n
    # A pool's ARN holds its id, which provision learns: `*` (of this account and Region) until then.
    pool = a.arn("cognito-idp", f"userpool/{user_pool_id or '*'}")
    return [
        _own_logs(a, "api_handler"),
        _statement("ReadMail", ["s3:GetObject"], a.objects("archive", "attachments", "bodies")),
        # Reply attachments: S3 authorizes a presigned POST as s3:PutObject of whoever signed
        # the policy (this role), and the reply reads the upload back to check and send it.
        _statement("ReplyUploads", ["s3:PutObject", "s3:GetObject"], a.objects("uploads")),
        _statement("TicketContent", ["s3:PutObject"], a.objects("attachments", "bodies")),
        # A read of a missing key is answered 404 only to a caller that may list the
        # bucket, 403 AccessDenied to anyone else: the console's fallback for a body
        # that is gone needs the 404.
        _statement("ListForExistenceChecks", ["s3:ListBucket"], [n.bucket_arn]),
        # BatchWriteItem: a split or merge indexes each moved message's search terms (up to
        # 50 a message, more than the move's transaction can carry) just before the move.
        _tickets(
            a, ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem", "Query"]
        ),
        _statement("TicketQueues", ["dynamodb:Query"], [a.table(f"{n.tickets_table}/index/*")]),
        _suppression(a, ["GetItem", "UpdateItem", "Query"]),
        _statement("StaffAdministration", _STAFF_ADMINISTRATION, [pool]),
        # Undo-send: a held reply's send, delayed by its window (read by send_reply).
        _statement("HoldReplies", ["sqs:SendMessage", "sqs:GetQueueUrl"], [n.queue_arn("outbox")]),
        # The console's announcements (admins): a test copy goes through their own
        # configuration set, and the send queues the recipient batches send_announcement reads.
        _statement(
            "AnnouncementTests",
            ["ses:SendRawEmail"],
            [a.arn("ses", f"configuration-set/{n.configuration_set}-announcements")],
        ),
        _statement("AnnouncementBatches", ["sqs:SendMessage", "sqs:GetQueueUrl"], [n.queue_arn("announce")]),
        *common.values(),
    ]


def policy_documents(
    names: Names,
    mailboxes: list[str],
    warmup_pool: bool = False,
    sending_identity_arn: str = "",
    user_pool_id: str = "",
) -> dict[str, dict[str, Any]]:
    """Every function's policy document, by function name.

    `mailboxes`: the addresses the stage sends from (INBOUND_MAILBOXES). `warmup_pool`:
    announcements send from a standard dedicated pool on its warm-up plan (INBOUND_WARMUP_POOL).
    `sending_identity_arn`: another account's identity the stage sends as (INBOUND_SENDING_IDENTITY_ARN).
    `user_pool_id`: the staff pool the console administers (INBOUND_USER_POOL_ID).
    """
    a = _Arns(names)
    common = _common(a, [m.lower() for m in mailboxes], sending_identity_arn)
    statements = {
        "ingest": _ingest(a, common),
        "record_feedback": _record_feedback(a),
        "sweep_incoming": _sweep_incoming(a, common),
        "api_handler": _api_handler(a, common, user_pool_id),
        "send_announcement": _send_announcement(a, common, warmup_pool),
        "send_reply": _send_reply(a, common),
    }
    return {f: {"Version": "2012-10-17", "Statement": s} for f, s in statements.items()}
