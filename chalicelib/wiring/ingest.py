"""The ingest side of the wiring: the ingest service's ports, the mail readers it calls, the
sweeper that re-drives what it left in incoming/, and the operator's re-drive of quarantine
and dead letters. Loaded by every ingest cold start, so it imports nothing at
import time but the settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.domain.classify_types import BounceReport
    from chalicelib.domain.mail import ParsedMail
    from chalicelib.domain.sender_trust import SenderTrust
    from chalicelib.domain.tickets import Ticket
    from chalicelib.services.feedback import InboundReport
    from chalicelib.services.ingest import IngestService
    from chalicelib.services.message_builder import Renderers
    from chalicelib.services.ports.records import ReplySecrets
    from chalicelib.services.ports.tickets import Events, MailStore, TicketStore
    from chalicelib.services.redrive import RedriveService
    from chalicelib.services.sweeper import IncomingSweeper
    from chalicelib.wiring import Services


def ingest_service(
    settings: Settings,
    dynamodb: DynamoDBClient,
    store: MailStore,
    tickets: TicketStore,
    renderers: Renderers,
    reply_secrets: ReplySecrets,
    events: Events,
    acknowledge: Callable[[str, ParsedMail, SenderTrust], object] | None,
    suppress_bounced: Callable[[tuple[str, ...], bool, str, tuple[str, ...], bool], InboundReport],
    alert_assignee: Callable[[Ticket], object] | None = None,
) -> IngestService:
    """The outbound side and the feedback are reached through `acknowledge` and
    `suppress_bounced`, built by the first acknowledgement or bounce that needs them, not by
    every ingest's cold start."""
    from chalicelib.adapters.dynamodb_deliveries import DynamoDBDeliveries
    from chalicelib.adapters.dynamodb_suspended import DynamoDBSuspended
    from chalicelib.services.ingest import IngestService
    from chalicelib.services.ingest_ports import IngestPorts

    ports = IngestPorts(
        store=store,
        tickets=tickets,
        deliveries=DynamoDBDeliveries(dynamodb, settings.tickets_table),
        suspended=DynamoDBSuspended(dynamodb, settings.tickets_table),
        read_mail=read_mail,
        detect_bounce=detect_bounce,
        renderers=renderers,
        reply_secrets=reply_secrets,
        acknowledge=acknowledge,
        suppress_bounced=suppress_bounced,
        alert_assignee=alert_assignee,
        publish_event=events.publish_event,
    )
    return IngestService(settings, ports)


# The mail readers are imported by the first message, not by `build_services`: mail-parser
# and flufl.bounce compile many regular expressions at import (about 100 ms of cold start).
def read_mail(raw: bytes) -> ParsedMail:
    from chalicelib.adapters.mail.reader import read_mail as read

    return read(raw)


def detect_bounce(mail: ParsedMail) -> BounceReport | None:
    from chalicelib.adapters.mail.bounce_detector import detect_bounce as detect

    return detect(mail)


def sweeper(settings: Settings, ingest: IngestService) -> IncomingSweeper:
    from datetime import timedelta

    from chalicelib.services.sweeper import IncomingSweeper

    return IncomingSweeper(
        ingest, timedelta(minutes=settings.sweep_after_minutes), settings.sweep_max_attempts
    )


def build_redrive(
    services: Services, session: Session, queues: list[str], wait_seconds: int = 1
) -> RedriveService:
    """The operator's re-drive (`inbound redrive`): quarantine/failed/ back through ingest,
    the dead-letter queues of `queues` back to them. Built on demand; no Lambda uses it."""
    from chalicelib.adapters.s3_quarantine import S3Quarantine
    from chalicelib.adapters.sqs_redrive import SqsDeadLetters
    from chalicelib.services.redrive import RedriveService
    from chalicelib.wiring.clients import client

    settings = services.settings
    sqs = client(session, "sqs", settings)
    return RedriveService(
        services.ingest,
        S3Quarantine(client(session, "s3", settings), settings.mail_bucket),
        [SqsDeadLetters.of(sqs, name, wait_seconds) for name in queues],
    )
