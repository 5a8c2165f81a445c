"""Run-time settings, read once from the environment Chalice sets per stage."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

# SES receiving accepts at most 40 MB per message, headers and encoding included.
SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024


def _mailbox_map(text: str) -> dict[str, str]:
    """`support@example.com=support,billing@example.com=billing` -> dict."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        address, _, mailbox = item.partition("=")
        mapping[address.strip().lower()] = (mailbox or address.partition("@")[0]).strip()
    return mapping


@dataclass(frozen=True)
class Settings:
    stage: str = "dev"
    region: str = "us-east-1"
    domain: str = "example.com"
    mail_bucket: str = "inbound-dev-mail"
    tickets_table: str = "inbound-dev-tickets"
    suppression_table: str = "inbound-dev-suppression"
    reply_secret_parameter: str = "/inbound/dev/reply-token-secret"
    mailboxes: dict[str, str] = field(
        default_factory=lambda: {
            "support@example.com": "support",
            "billing@example.com": "billing",
        }
    )
    default_mailbox: str = "support"
    max_message_bytes: int = SES_MAX_MESSAGE_BYTES
    # DynamoDB items are capped at 400 KB; bodies above this go to S3.
    inline_body_limit: int = 100_000
    endpoint_url: str | None = None
    # True only where the SQS mappings have ReportBatchItemFailures enabled.
    partial_batch_responses: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        stage = env.get("INBOUND_STAGE", "dev")
        domain = env.get("INBOUND_DOMAIN", "example.com").lower()
        mailboxes = _mailbox_map(env.get("INBOUND_MAILBOXES", "")) or {
            f"support@{domain}": "support",
            f"billing@{domain}": "billing",
        }
        return cls(
            stage=stage,
            region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")),
            domain=domain,
            mail_bucket=env.get("INBOUND_MAIL_BUCKET", f"inbound-{stage}-mail"),
            tickets_table=env.get("INBOUND_TICKETS_TABLE", f"inbound-{stage}-tickets"),
            suppression_table=env.get("INBOUND_SUPPRESSION_TABLE", f"inbound-{stage}-suppression"),
            reply_secret_parameter=env.get(
                "INBOUND_REPLY_SECRET_PARAMETER", f"/inbound/{stage}/reply-token-secret"
            ),
            mailboxes=mailboxes,
            default_mailbox=env.get("INBOUND_DEFAULT_MAILBOX", "support"),
            max_message_bytes=int(env.get("INBOUND_MAX_MESSAGE_BYTES", SES_MAX_MESSAGE_BYTES)),
            inline_body_limit=int(env.get("INBOUND_INLINE_BODY_LIMIT", 100_000)),
            endpoint_url=env.get("INBOUND_ENDPOINT_URL") or None,
            partial_batch_responses=env.get("INBOUND_PARTIAL_BATCH_RESPONSES", "").lower() == "true",
        )
