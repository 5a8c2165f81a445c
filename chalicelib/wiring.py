"""The one place that builds clients and assembles services.

Nothing here runs at import: `app.py` calls `services()` inside handlers, so
importing the app touches no AWS and creates no client.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from chalicelib.settings import Settings


@dataclass
class Services:
    settings: Settings
    intake: Any  # IntakeService; typed loosely to keep imports lazy
    suspended: Any  # SuspendedMail


def _client(session: Any, name: str, settings: Settings) -> Any:
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=60)
    return session.client(name, region_name=settings.region, endpoint_url=settings.endpoint_url, config=config)


def build_services(settings: Settings, session: Any = None) -> Services:
    """Wire adapters to services. Tests pass their own session (moto) or settings."""
    import boto3

    from chalicelib.adapters import body_render, flufl_bounce_detector, mailparser_reader
    from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
    from chalicelib.adapters.s3_mail_store import S3MailStore
    from chalicelib.adapters.ssm_secrets import SsmReplySecrets
    from chalicelib.services.intake import IntakeService
    from chalicelib.services.intake_parts import IntakeParts
    from chalicelib.services.message_builder import Renderers
    from chalicelib.services.suspended_mail import SuspendedMail

    # flufl.bounce logs every detector it runs at INFO; keep Lambda logs for our own lines.
    logging.getLogger("flufl.bounce").setLevel(logging.WARNING)
    session = session or boto3.session.Session()
    parts = IntakeParts(
        store=S3MailStore(_client(session, "s3", settings), settings.mail_bucket),
        tickets=DynamoDBTickets(_client(session, "dynamodb", settings), settings.tickets_table),
        read_mail=mailparser_reader.read_mail,
        detect_bounce=flufl_bounce_detector.detect_bounce,
        renderers=Renderers(body_render.sanitise_html, body_render.latest_reply),
        reply_secrets=SsmReplySecrets(_client(session, "ssm", settings), settings.reply_secret_parameter),
    )
    intake = IntakeService(settings, parts)
    return Services(settings=settings, intake=intake, suspended=SuspendedMail(parts, intake.filing))


@functools.lru_cache(maxsize=1)
def services() -> Services:
    """The Lambda container's services, built on first use."""
    return build_services(Settings.from_env())
