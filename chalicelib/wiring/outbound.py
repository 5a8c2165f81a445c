"""The outbound side of the wiring: every mail that leaves goes through one guard
(`OutboundService`) on one suppression table and one SES sender; the feedback and the
suppression list share that table's ports; announcements add their own configuration set,
queue and pacing on the same guard. Loaded by the first service of this side that is used."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.settings import Settings
from chalicelib.wiring.clients import client, on_first_use

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from chalicelib.adapters.dynamodb_feedback_ledger import DynamoDBFeedbackLedger
    from chalicelib.adapters.dynamodb_reputation_counters import DynamoDBReputationCounters
    from chalicelib.adapters.dynamodb_send_ledger import DynamoDBSendLedger
    from chalicelib.adapters.dynamodb_suppression_list import DynamoDBSuppressionList
    from chalicelib.adapters.ses_sender import SesSender
    from chalicelib.domain.feedback_events import FeedbackEvent
    from chalicelib.domain.warmup import WarmupPlan
    from chalicelib.services.announcement_sending import AnnouncementSender
    from chalicelib.services.announcements import AnnouncementService
    from chalicelib.services.feedback import FeedbackService
    from chalicelib.services.file_links import FileLinks
    from chalicelib.services.held_replies import HeldReplySender
    from chalicelib.services.outbound import OutboundService
    from chalicelib.services.ports.records import ReplySecrets
    from chalicelib.services.ports.reopen import TicketReopener
    from chalicelib.services.ports.tickets import Events, MailStore, TicketStore
    from chalicelib.services.reply_uploads import ReplyUploads
    from chalicelib.services.suppression import SuppressionService
    from chalicelib.services.ticket_desk import TicketDesk


class MailOut:
    """The outbound guard and the suppression table's ports the feedback and the list share."""

    def __init__(
        self,
        outbound: OutboundService,
        sender: SesSender,
        suppression_list: DynamoDBSuppressionList,
        counters: DynamoDBReputationCounters,
        send_ledger: DynamoDBSendLedger,
        feedback_ledger: DynamoDBFeedbackLedger,
    ) -> None:
        self.outbound = outbound
        self.sender = sender
        self.suppression_list = suppression_list
        self.counters = counters
        self.send_ledger = send_ledger
        self.feedback_ledger = feedback_ledger


class Announcing:
    def __init__(self, service: AnnouncementService, sender: AnnouncementSender) -> None:
        self.service = service
        self.sender = sender


def mail_out(
    settings: Settings,
    session: Session,
    dynamodb: DynamoDBClient,
    signer: S3Client,
    tickets: TicketStore,
    store: MailStore,
    reply_secrets: ReplySecrets,
    events: Events,
    public_url: Callable[[], str],
    reopener: TicketReopener | None = None,
) -> MailOut:
    """The outbound guard and what it stands on: one suppression table, one SES sender."""
    from chalicelib.adapters.cloudwatch_reputation import AccountReputation
    from chalicelib.adapters.dynamodb_acknowledgements import DynamoDBAcknowledgements
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.adapters.dynamodb_auto_replies import DynamoDBAutoReplies
    from chalicelib.adapters.dynamodb_feedback_ledger import DynamoDBFeedbackLedger
    from chalicelib.adapters.dynamodb_reply_claims import DynamoDBReplyClaims
    from chalicelib.adapters.dynamodb_reputation_counters import DynamoDBReputationCounters
    from chalicelib.adapters.dynamodb_send_ledger import DynamoDBSendLedger
    from chalicelib.adapters.dynamodb_suppression_list import DynamoDBSuppressionList
    from chalicelib.adapters.ses_sender import SesSender
    from chalicelib.services.outbound import OutboundService
    from chalicelib.services.outbound_ports import OutboundPorts

    table = settings.suppression_table
    suppression_list = DynamoDBSuppressionList(dynamodb, table)
    counters = DynamoDBReputationCounters(dynamodb, table)
    send_ledger = DynamoDBSendLedger(dynamodb, table)
    sender = SesSender(
        on_first_use(lambda: client(session, "ses", settings)),
        settings.configuration_set,
        settings.sending_identity_arn,
        on_first_use(lambda: client(session, "sesv2", settings)),
        mailboxes=settings.mailboxes,
    )
    links = file_links(settings, signer, reply_secrets, public_url)
    outbound = OutboundService(
        settings,
        OutboundPorts(
            sender=sender,
            suppression_list=suppression_list,
            auto_replies=DynamoDBAutoReplies(dynamodb, table),
            acknowledgements=DynamoDBAcknowledgements(dynamodb, table),
            send_ledger=send_ledger,
            counters=counters,
            tickets=tickets,
            store=store,
            presign=links.url,
            reply_secrets=reply_secrets,
            public_url=public_url,
            reply_claims=DynamoDBReplyClaims(dynamodb, settings.tickets_table),
            staff_disabled=DynamoDBAgents(dynamodb, settings.tickets_table).is_disabled,
            account_rates=AccountReputation(
                on_first_use(lambda: client(session, "cloudwatch", settings))
            ).rates,
            publish_event=events.publish_event,
            reopener=reopener,
        ),
    )
    feedback_ledger = DynamoDBFeedbackLedger(dynamodb, table)
    return MailOut(outbound, sender, suppression_list, counters, send_ledger, feedback_ledger)


def file_links(
    settings: Settings, signer: S3Client, reply_secrets: ReplySecrets, public_url: Callable[[], str]
) -> FileLinks:
    """Links in mail to files too large to attach: the stage's /files/<token> for the whole
    promised lifetime, each answered with a presigned GET of a few minutes."""
    import time

    from chalicelib.adapters.s3_download_links import S3DownloadLinks
    from chalicelib.services.file_links import FileLinks

    short = S3DownloadLinks(signer, settings.mail_bucket)
    return FileLinks(public_url, reply_secrets, short, time.time, settings.attachment_link_seconds)


def announcements(
    settings: Settings, session: Session, dynamodb: DynamoDBClient, mail_out: MailOut, desk: TicketDesk
) -> Announcing:
    """Announcements: their own table items, queue and SES configuration set, the one guard."""
    from datetime import UTC, datetime

    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.adapters.dynamodb_announcements import DynamoDBAnnouncements
    from chalicelib.adapters.dynamodb_queue import DynamoDBQueue
    from chalicelib.adapters.ses_sender import SesSender
    from chalicelib.adapters.sesv2_dedicated_ips import warmup_plan
    from chalicelib.adapters.sesv2_quota import send_quota
    from chalicelib.adapters.sqs_batches import SqsBatches
    from chalicelib.services import announcement_sending as sending
    from chalicelib.services.announcements import AnnouncementPorts, AnnouncementService

    outbound = mail_out.outbound
    sender = SesSender(
        mail_out.sender.client,
        settings.announcement_configuration_set,
        settings.sending_identity_arn,
        mailboxes=settings.mailboxes,
    )
    sesv2 = on_first_use(lambda: client(session, "sesv2", settings))
    batches = SqsBatches(on_first_use(lambda: client(session, "sqs", settings)), settings.announcement_queue)
    store = DynamoDBAnnouncements(dynamodb, settings.tickets_table)
    counters = outbound.ports.counters
    service = AnnouncementService(
        settings,
        AnnouncementPorts(
            store=store,
            queue=DynamoDBQueue(dynamodb, settings.tickets_table),
            sanitise_html=desk.ports.sanitise_html,
            reply_secrets=outbound.ports.reply_secrets,
            public_url=outbound.ports.public_url,
            send_test=sender.send_raw,
            check=lambda address: outbound.check(address, automatic=False),
            enqueue=batches.enqueue,
            require_staff=outbound.require_staff,
        ),
    )

    def no_cap() -> int | None:
        return None

    warmup_left = (
        sending.warmup_allowance(
            lambda: warmup_plan(sesv2, settings.warmup_pool), counters, lambda: datetime.now(UTC)
        )
        if settings.warmup_pool
        else no_cap
    )
    ports = sending.SendingPorts(
        store=store,
        check=lambda address, state: outbound.check(address, automatic=False, state=state),
        guard_state=lambda: sending.announcements_state(
            counters, settings, datetime.now(UTC), outbound.ports.account_rates()
        ),
        build=service.build,
        send_raw=sender.send_raw,
        quota=lambda: send_quota(sesv2),
        enqueue=batches.enqueue,
        from_address=service.from_address,
        warmup_left=warmup_left,
        standing=DynamoDBAgents(dynamodb, settings.tickets_table).standing,
    )
    announcer = sending.AnnouncementSender(
        ports, sending.SEND_CONCURRENCY, settings.announcement_quota_reserve
    )
    return Announcing(service, announcer)


def feedback_service(
    settings: Settings, mail_out: MailOut, on_announcement_events: Callable[[list[FeedbackEvent]], object]
) -> FeedbackService:
    """SES bounce/complaint feedback -> suppression list; announcements' events to them."""
    from chalicelib.services.feedback import FeedbackService

    return FeedbackService(
        settings,
        mail_out.feedback_ledger,
        mail_out.send_ledger,
        on_announcement_events=on_announcement_events,
    )


def suppression_service(settings: Settings, session: Session, mail_out: MailOut) -> SuppressionService:
    """List, check, remove, import, reputation."""
    from chalicelib.services.suppression import SuppressionService

    warmup = None
    if settings.warmup_pool:
        from chalicelib.adapters.sesv2_dedicated_ips import warmup_plan

        sesv2 = on_first_use(lambda: client(session, "sesv2", settings))
        pool = settings.warmup_pool

        def warmup() -> WarmupPlan | None:
            return warmup_plan(sesv2, pool)

    return SuppressionService(
        settings,
        mail_out.suppression_list,
        mail_out.counters,
        mail_out.sender.account_suppressed,
        warmup=warmup,
    )


def held_replies(
    settings: Settings,
    session: Session,
    dynamodb: DynamoDBClient,
    outbound: OutboundService,
    uploads: ReplyUploads,
) -> HeldReplySender:
    """Undo-send: replies held for the send delay, sent by send_reply unless undone."""
    from chalicelib.adapters.dynamodb_held_replies import DynamoDBHeldReplies
    from chalicelib.adapters.sqs_batches import SqsBatches
    from chalicelib.services.held_replies import HeldReplySender

    queue = SqsBatches(on_first_use(lambda: client(session, "sqs", settings)), settings.outbox_queue)
    store = DynamoDBHeldReplies(dynamodb, settings.tickets_table)
    return HeldReplySender(store, queue, outbound, uploads, settings.send_delay_seconds)
