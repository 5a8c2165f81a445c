"""Run-time settings, read once from the environment Chalice sets per stage."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field

from chalicelib.domain.customer_language import Language, setting_language
from chalicelib.domain.frozen import frozen

# SES receiving accepts at most 40 MB per message, headers and encoding included.
SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024
# SES v1 SendRawEmail refuses messages over 10 MB, headers, encoding and attachments included.
SES_V1_MAX_SEND_BYTES = 10 * 1024 * 1024


def _mailbox_map(text: str) -> dict[str, str]:
    """`support@example.com=support,billing@example.com=billing` -> dict."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        address, _, mailbox = item.partition("=")
        mapping[address.strip().lower()] = (mailbox or address.partition("@")[0]).strip()
    return mapping


@frozen
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
    # The sweeper re-drives raw mail older than this from incoming/ (a lost notification;
    # the queue itself retries for up to 5 x the visibility timeout first).
    sweep_after_minutes: int = 120
    sweep_max_attempts: int = 3
    # Staff sign-in: the Cognito pool whose tokens the API accepts, and its app client.
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    # Where the pool's signing keys are read; empty: derived from the pool (see api/auth.py).
    jwks_url: str = ""
    # Ticket events (status changed, split, merged, notes) for integrations; empty: none sent.
    events_topic_arn: str = ""
    # CloudWatch namespace of the functions' metrics (chalicelib/observability.py).
    metrics_namespace: str = "inbound"

    # -- outbound guard (services/outbound.py) and SES feedback (services/feedback.py) --
    configuration_set: str = "inbound-dev"
    # An identity of another account that authorised us to send (sending authorization).
    sending_identity_arn: str = ""
    ses_sandbox: str = "auto"  # "true" | "false" | "auto" (ask sesv2 GetAccount)
    acknowledge_new_tickets: bool = False
    # The language customers read us in (acknowledgements, announcements' footer, the
    # unsubscribe pages) when their mail or browser names none of ours (domain/customer_language.py).
    default_language: Language = Language.EN
    max_send_bytes: int = SES_V1_MAX_SEND_BYTES
    attachment_link_seconds: int = 24 * 3600
    # Reply attachments (domain/reply_uploads.py): each file up to this size; a reply whose
    # files make the mail larger than max_send_bytes carries links to them instead.
    upload_max_bytes: int = 25 * 1024 * 1024
    upload_form_seconds: int = 300  # how long a presigned POST form may be used
    # Undo-send (domain/held_replies.py): a console reply waits this long before it leaves,
    # on this queue (read by send_reply); 0: replies leave at once, with no undo.
    send_delay_seconds: int = 10
    # How long a container trusts what it read of an agent's `disabled` mark
    # (services/staff_identities.py, SECURITY.md): the bound on a disable taking effect.
    staff_check_seconds: float = 30.0
    outbox_queue: str = "inbound-dev-outbox"
    auto_replies_per_sender_per_day: int = 3
    # Acknowledgements to unauthenticated senders (SECURITY.md) per recipient domain and
    # day: a spoofed From makes the acknowledgement land on someone who never wrote.
    auto_replies_per_domain_per_day: int = 20
    # Mailboxes (names) that acknowledge authenticated senders only; "*": every mailbox.
    ack_authenticated_only: frozenset[str] = frozenset()
    soft_bounce_limit: int = 3
    soft_bounce_window_hours: int = 72
    soft_suppression_days: int = 7
    # Reputation guard: warn at half of SES's review thresholds (5 %, 0.1 %), pause
    # automatic mail below them, judged over at least `reputation_min_volume` sends.
    bounce_warn_rate: float = 0.025
    complaint_warn_rate: float = 0.0005
    bounce_pause_rate: float = 0.04
    complaint_pause_rate: float = 0.0008
    reputation_min_volume: int = 200

    # -- links in mail (services/file_links.py, announcements, alerts, invitations) --
    # The stage's API URL, or a custom domain in front of it (INBOUND_PUBLIC_URL). Empty on a
    # deployed stage (on Lambda, or the CLI acting on a stage) when unset: then the URL comes
    # from `public_url_parameter`, which the stack or `inbound provision` writes
    # (adapters/ssm_public_url.py); a loopback URL is refused there.
    public_url: str = "http://127.0.0.1:8000"
    public_url_parameter: str = "/inbound/dev/public-url"
    deployed: bool = False
    announcement_configuration_set: str = "inbound-dev-announcements"
    announcement_queue: str = "inbound-dev-announce"
    # Of the 24-hour quota, the share announcements leave to acknowledgements and replies.
    announcement_quota_reserve: float = 0.2
    # Announcements pause before transactional mail does (and whenever it warns).
    announcement_bounce_pause_rate: float = 0.02
    announcement_complaint_pause_rate: float = 0.0005
    # A standard dedicated IP pool announcements send from, on the warm-up plan
    # (domain/warmup.py); empty: none (shared IPs, or a managed pool SES warms up itself).
    warmup_pool: str = ""

    def acknowledges_unauthenticated(self, mailbox: str) -> bool:
        return not ({mailbox, "*"} & self.ack_authenticated_only)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        stage = env.get("INBOUND_STAGE", "dev")
        # Lambda sets AWS_LAMBDA_FUNCTION_NAME; the CLI acting on a stage sets INBOUND_DEPLOYED.
        deployed = bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) or env.get("INBOUND_DEPLOYED") == "true"
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
            sweep_after_minutes=int(env.get("INBOUND_SWEEP_AFTER_MINUTES", 120)),
            sweep_max_attempts=int(env.get("INBOUND_SWEEP_MAX_ATTEMPTS", 3)),
            user_pool_id=env.get("INBOUND_USER_POOL_ID", ""),
            user_pool_client_id=env.get("INBOUND_USER_POOL_CLIENT_ID", ""),
            jwks_url=env.get("INBOUND_JWKS_URL", ""),
            events_topic_arn=env.get("INBOUND_EVENTS_TOPIC_ARN", ""),
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "inbound"),
            configuration_set=env.get("INBOUND_CONFIGURATION_SET", f"inbound-{stage}"),
            sending_identity_arn=env.get("INBOUND_SENDING_IDENTITY_ARN", ""),
            ses_sandbox=env.get("INBOUND_SES_SANDBOX", "auto").lower(),
            acknowledge_new_tickets=env.get("INBOUND_ACKNOWLEDGE", "").lower() == "true",
            default_language=setting_language(env.get("INBOUND_DEFAULT_LANGUAGE", "")),
            max_send_bytes=int(env.get("INBOUND_MAX_SEND_BYTES", SES_V1_MAX_SEND_BYTES)),
            attachment_link_seconds=int(env.get("INBOUND_ATTACHMENT_LINK_SECONDS", 24 * 3600)),
            upload_max_bytes=int(env.get("INBOUND_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)),
            upload_form_seconds=int(env.get("INBOUND_UPLOAD_FORM_SECONDS", 300)),
            send_delay_seconds=int(env.get("INBOUND_SEND_DELAY_SECONDS", 10)),
            staff_check_seconds=float(env.get("INBOUND_STAFF_CHECK_SECONDS", 30)),
            outbox_queue=env.get("INBOUND_OUTBOX_QUEUE", f"inbound-{stage}-outbox"),
            auto_replies_per_sender_per_day=int(env.get("INBOUND_AUTO_REPLIES_PER_SENDER_PER_DAY", 3)),
            auto_replies_per_domain_per_day=int(env.get("INBOUND_AUTO_REPLIES_PER_DOMAIN_PER_DAY", 20)),
            ack_authenticated_only=frozenset(
                m.strip() for m in env.get("INBOUND_ACK_AUTHENTICATED_ONLY", "").split(",") if m.strip()
            ),
            soft_bounce_limit=int(env.get("INBOUND_SOFT_BOUNCE_LIMIT", 3)),
            soft_bounce_window_hours=int(env.get("INBOUND_SOFT_BOUNCE_WINDOW_HOURS", 72)),
            soft_suppression_days=int(env.get("INBOUND_SOFT_SUPPRESSION_DAYS", 7)),
            bounce_warn_rate=float(env.get("INBOUND_BOUNCE_WARN_RATE", 0.025)),
            complaint_warn_rate=float(env.get("INBOUND_COMPLAINT_WARN_RATE", 0.0005)),
            bounce_pause_rate=float(env.get("INBOUND_BOUNCE_PAUSE_RATE", 0.04)),
            complaint_pause_rate=float(env.get("INBOUND_COMPLAINT_PAUSE_RATE", 0.0008)),
            reputation_min_volume=int(env.get("INBOUND_REPUTATION_MIN_VOLUME", 200)),
            public_url=env.get("INBOUND_PUBLIC_URL", "" if deployed else "http://127.0.0.1:8000"),
            public_url_parameter=env.get("INBOUND_PUBLIC_URL_PARAMETER", f"/inbound/{stage}/public-url"),
            deployed=deployed,
            announcement_configuration_set=env.get(
                "INBOUND_ANNOUNCEMENT_CONFIGURATION_SET", f"inbound-{stage}-announcements"
            ),
            announcement_queue=env.get("INBOUND_ANNOUNCE_QUEUE", f"inbound-{stage}-announce"),
            announcement_quota_reserve=float(env.get("INBOUND_ANNOUNCEMENT_QUOTA_RESERVE", 0.2)),
            announcement_bounce_pause_rate=float(env.get("INBOUND_ANNOUNCEMENT_BOUNCE_PAUSE_RATE", 0.02)),
            announcement_complaint_pause_rate=float(
                env.get("INBOUND_ANNOUNCEMENT_COMPLAINT_PAUSE_RATE", 0.0005)
            ),
            warmup_pool=env.get("INBOUND_WARMUP_POOL", ""),
        )
