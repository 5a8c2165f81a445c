"""The one place that builds clients and assembles services.

Nothing here runs at import: `app.py` calls `services()` inside handlers, so
importing the app touches no AWS and creates no client.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

    from chalicelib.adapters.dynamodb_feedback_ledger import DynamoDBFeedbackLedger
    from chalicelib.adapters.dynamodb_reputation_counters import DynamoDBReputationCounters
    from chalicelib.adapters.dynamodb_send_ledger import DynamoDBSendLedger
    from chalicelib.adapters.dynamodb_suppression_list import DynamoDBSuppressionList
    from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
    from chalicelib.adapters.s3_mail_store import S3MailStore
    from chalicelib.adapters.ses_sender import SesSender
    from chalicelib.adapters.sns_events import SnsEvents
    from chalicelib.adapters.ssm_secrets import SsmReplySecrets
    from chalicelib.console.cognito_sign_in import CognitoSignIn
    from chalicelib.domain.classify_types import BounceReport
    from chalicelib.domain.mail import ParsedMail
    from chalicelib.domain.warmup import WarmupPlan
    from chalicelib.services.announcement_sending import AnnouncementSender
    from chalicelib.services.announcements import AnnouncementService
    from chalicelib.services.change_feed import ChangeFeed
    from chalicelib.services.feedback import FeedbackService
    from chalicelib.services.ingest import IngestService
    from chalicelib.services.message_builder import Renderers
    from chalicelib.services.outbound import OutboundService
    from chalicelib.services.ports.records import ReplySecrets
    from chalicelib.services.ports.tickets import Events, MailStore, TicketStore
    from chalicelib.services.sign_in_guard import SignInGuard
    from chalicelib.services.staff_admin import StaffAdmin
    from chalicelib.services.staff_identities import StaffIdentities
    from chalicelib.services.suppression import SuppressionService
    from chalicelib.services.suspended_mail import SuspendedMail
    from chalicelib.services.sweeper import IncomingSweeper
    from chalicelib.services.ticket_desk import TicketDesk
    from chalicelib.services.ticket_presence import TicketPresence
    from chalicelib.services.ticket_search import TicketFinder


# A boto3 session must not build two clients at once (`inbound up` serves from threads).
_SESSION_LOCK = threading.RLock()


# Each client the Lambdas build, typed by boto3-stubs (a dev dependency; types only).
@overload
def _client(session: Session, name: Literal["cloudwatch"], settings: Settings) -> CloudWatchClient: ...
@overload
def _client(session: Session, name: Literal["dynamodb"], settings: Settings) -> DynamoDBClient: ...
@overload
def _client(session: Session, name: Literal["s3"], settings: Settings) -> S3Client: ...
@overload
def _client(session: Session, name: Literal["ses"], settings: Settings) -> SESClient: ...
@overload
def _client(session: Session, name: Literal["sesv2"], settings: Settings) -> SESV2Client: ...
@overload
def _client(session: Session, name: Literal["sns"], settings: Settings) -> SNSClient: ...
@overload
def _client(session: Session, name: Literal["sqs"], settings: Settings) -> SQSClient: ...
@overload
def _client(session: Session, name: Literal["ssm"], settings: Settings) -> SSMClient: ...
def _client(session: Session, name: str, settings: Settings) -> Any:
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=60)
    service: Any = name  # one of the names above; the stubs type each by its literal name
    with _SESSION_LOCK:
        return session.client(
            service, region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
        )


class _OnFirstUse:
    """A boto3 client built by its first use instead of by `build_services`.

    For the clients many invocations never call (SSM for reply tokens, SES, presigning):
    each costs 10-30 ms of cold start, mostly loading its service model.
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with _SESSION_LOCK:
                if self._client is None:
                    self._client = self._build()
        return getattr(self._client, name)


_Client = TypeVar("_Client")


def _on_first_use(build: Callable[[], _Client]) -> _Client:
    """What `build` returns, built by its first use; the proxy stands in for that client's type."""
    return cast(_Client, _OnFirstUse(build))


def build_services(settings: Settings, session: Session | None = None, fetch_jwks: Any = None) -> Services:
    """Wire adapters to services. Tests pass their own session (moto), settings or JWKS fetcher."""
    import boto3

    # flufl.bounce logs every detector it runs at INFO; keep Lambda logs for our own lines.
    logging.getLogger("flufl.bounce").setLevel(logging.WARNING)
    return Services(settings, session or boto3.session.Session(), fetch_jwks)


class Services:
    """The container's services, each built by its first use, with the clients it needs.

    All of the stage's functions run this one app, and each touches few services: ingest
    the ingest, record_feedback the feedback, a staff request the desk and the identities.
    Building them all would import some 90 modules at every cold start, about 70 frozen
    dataclasses among them (each compiles its generated methods at import: about 4M
    instructions apiece), so each is built on first use. Services call each other through
    these attributes, so one that is never used is never built. `functools.cached_property`
    holds a lock per attribute (Python 3.11), and the dependencies have no cycle, so two
    threads of `inbound up` cannot build one twice or deadlock.
    """

    def __init__(self, settings: Settings, session: Session, fetch_jwks: Any = None) -> None:
        self.settings = settings
        self._session = session
        self._fetch_jwks = fetch_jwks

    # -- clients and the adapters several services share --------------------
    @functools.cached_property
    def _s3(self) -> S3Client:
        return _client(self._session, "s3", self.settings)

    @functools.cached_property
    def _dynamodb(self) -> DynamoDBClient:
        return _client(self._session, "dynamodb", self.settings)

    @functools.cached_property
    def _signer(self) -> S3Client:
        return _on_first_use(lambda: _signing_s3(self._session, self.settings))

    @functools.cached_property
    def _store(self) -> S3MailStore:
        from chalicelib.adapters.s3_mail_store import S3MailStore

        return S3MailStore(self._s3, self.settings.mail_bucket)

    @functools.cached_property
    def _tickets(self) -> DynamoDBTickets:
        from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets

        return DynamoDBTickets(self._dynamodb, self.settings.tickets_table)

    @functools.cached_property
    def _reply_secrets(self) -> SsmReplySecrets:
        from chalicelib.adapters.ssm_secrets import SsmReplySecrets

        ssm = _on_first_use(lambda: _client(self._session, "ssm", self.settings))
        return SsmReplySecrets(ssm, self.settings.reply_secret_parameter)

    @functools.cached_property
    def _renderers(self) -> Renderers:
        from chalicelib.adapters.mail import body_render
        from chalicelib.services.message_builder import Renderers

        return Renderers(body_render.sanitise_html, body_render.latest_reply)

    @functools.cached_property
    def _events(self) -> SnsEvents:
        """Ticket events for integrations; the SNS client is built by the first event."""
        from chalicelib.adapters.sns_events import SnsEvents

        topic = self.settings.events_topic_arn
        sns = _on_first_use(lambda: _client(self._session, "sns", self.settings)) if topic else None
        return SnsEvents(sns, topic)

    @functools.cached_property
    def _mail_out(self) -> _MailOut:
        return _mail_out(
            self.settings,
            self._session,
            self._dynamodb,
            self._signer,
            self._tickets,
            self._store,
            self._reply_secrets,
            self._events,
        )

    @functools.cached_property
    def _announcing(self) -> _Announcing:
        return _announcements(self.settings, self._session, self._dynamodb, self._mail_out, self.desk)

    # -- the services --------------------------------------------------------
    @functools.cached_property
    def ingest(self) -> IngestService:
        from chalicelib.adapters.dynamodb_deliveries import DynamoDBDeliveries
        from chalicelib.adapters.dynamodb_suspended import DynamoDBSuspended
        from chalicelib.services.ingest import IngestService
        from chalicelib.services.ingest_ports import IngestPorts

        # The outbound side and the feedback are built by the first acknowledgement or
        # bounce that needs them, not by every ingest's cold start.
        acknowledge = self.settings.acknowledge_new_tickets
        ports = IngestPorts(
            store=self._store,
            tickets=self._tickets,
            deliveries=DynamoDBDeliveries(self._dynamodb, self.settings.tickets_table),
            suspended=DynamoDBSuspended(self._dynamodb, self.settings.tickets_table),
            read_mail=_read_mail,
            detect_bounce=_detect_bounce,
            renderers=self._renderers,
            reply_secrets=self._reply_secrets,
            acknowledge=(lambda *ticket: self.outbound.acknowledge(*ticket)) if acknowledge else None,
            suppress_bounced=lambda *report: self.feedback.suppress_from_inbound_bounce(*report),
            publish_event=self._events.publish_event,
        )
        return IngestService(self.settings, ports)

    @functools.cached_property
    def suspended(self) -> SuspendedMail:
        from chalicelib.services.suspended_mail import SuspendedMail

        return SuspendedMail(self.ingest.ports, self.ingest.filing)

    @functools.cached_property
    def desk(self) -> TicketDesk:
        """The staff queue and ticket edits."""
        return _desk(
            self.settings,
            self._dynamodb,
            self._signer,
            self._tickets,
            self._store,
            self._renderers,
            self._events,
        )

    @functools.cached_property
    def auth(self) -> StaffIdentities:
        """Staff tokens (JWKS fetched on first use) named by their `sub`."""
        return _staff_identities(self.settings, self._dynamodb, self._fetch_jwks)

    @functools.cached_property
    def outbound(self) -> OutboundService:
        """Every mail that leaves, through the guard."""
        return self._mail_out.outbound

    @functools.cached_property
    def feedback(self) -> FeedbackService:
        """SES bounce/complaint feedback -> suppression list; announcements' events to them."""
        from chalicelib.services.feedback import FeedbackService

        mail_out = self._mail_out
        return FeedbackService(
            self.settings,
            mail_out.feedback_ledger,
            mail_out.send_ledger,
            on_announcement_events=lambda events: self.announcements.record_events(events),
        )

    @functools.cached_property
    def suppression(self) -> SuppressionService:
        """List, check, remove, import, reputation."""
        from chalicelib.services.suppression import SuppressionService

        mail_out = self._mail_out
        warmup = None
        if self.settings.warmup_pool:
            from chalicelib.adapters.sesv2_dedicated_ips import warmup_plan

            sesv2 = _on_first_use(lambda: _client(self._session, "sesv2", self.settings))
            pool = self.settings.warmup_pool

            def warmup() -> WarmupPlan | None:
                return warmup_plan(sesv2, pool)

        return SuppressionService(
            self.settings,
            mail_out.suppression_list,
            mail_out.counters,
            mail_out.sender.account_suppressed,
            warmup=warmup,
        )

    @functools.cached_property
    def sweeper(self) -> IncomingSweeper:
        """Re-drives mail left in incoming/."""
        return _sweeper(self.settings, self.ingest)

    @functools.cached_property
    def sign_in_guard(self) -> SignInGuard:
        """Attempts the console's sign-in proxy lets through."""
        return _sign_in_guard(self.settings, self._dynamodb)

    @functools.cached_property
    def search(self) -> TicketFinder:
        """Search, customer history, the index's backfill."""
        return _search(self.settings, self._dynamodb, self._tickets, self.desk)

    @functools.cached_property
    def announcements(self) -> AnnouncementService:
        """Audience, preview, test, queue, report, opt-out."""
        return self._announcing.service

    @functools.cached_property
    def announcement_sender(self) -> AnnouncementSender:
        """One queued batch, paced, once per recipient."""
        return self._announcing.sender

    @functools.cached_property
    def changes(self) -> ChangeFeed:
        """The change counters an open console polls."""
        from chalicelib.adapters.dynamodb_changes import DynamoDBChanges
        from chalicelib.services.change_feed import ChangeFeed

        boxes = [self.settings.default_mailbox, *self.settings.mailboxes.values()]
        return ChangeFeed(DynamoDBChanges(self._dynamodb, self.settings.tickets_table), boxes)

    @functools.cached_property
    def presence(self) -> TicketPresence:
        """Who else has a ticket open or is writing on it."""
        return _presence(self.settings, self._dynamodb)

    @functools.cached_property
    def staff_admin(self) -> StaffAdmin:
        """The console's staff administration: the user pool, the roster, invitations."""
        return _staff_admin(self.settings, self._session, self._dynamodb, self.outbound)

    @functools.cached_property
    def console_sign_in(self) -> CognitoSignIn:
        """The console's sign-in proxy to the user pool."""
        return _console_sign_in(self.settings, self._session)


class _MailOut:
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


class _Announcing:
    def __init__(self, service: AnnouncementService, sender: AnnouncementSender) -> None:
        self.service = service
        self.sender = sender


# The mail readers are imported by the first message, not by `build_services`: mail-parser
# and flufl.bounce compile many regular expressions at import (about 100 ms of cold start).
def _read_mail(raw: bytes) -> ParsedMail:
    from chalicelib.adapters.mail.reader import read_mail

    return read_mail(raw)


def _detect_bounce(mail: ParsedMail) -> BounceReport | None:
    from chalicelib.adapters.mail.bounce_detector import detect_bounce

    return detect_bounce(mail)


def _sweeper(settings: Settings, ingest: IngestService) -> IncomingSweeper:
    from datetime import timedelta

    from chalicelib.services.sweeper import IncomingSweeper

    return IncomingSweeper(
        ingest, timedelta(minutes=settings.sweep_after_minutes), settings.sweep_max_attempts
    )


def _mail_out(
    settings: Settings,
    session: Session,
    dynamodb: DynamoDBClient,
    signer: S3Client,
    tickets: TicketStore,
    store: MailStore,
    reply_secrets: ReplySecrets,
    events: Events,
) -> _MailOut:
    """The outbound guard and what it stands on: one suppression table, one SES sender."""
    from chalicelib.adapters.cloudwatch_reputation import AccountReputation
    from chalicelib.adapters.dynamodb_acknowledgements import DynamoDBAcknowledgements
    from chalicelib.adapters.dynamodb_auto_replies import DynamoDBAutoReplies
    from chalicelib.adapters.dynamodb_feedback_ledger import DynamoDBFeedbackLedger
    from chalicelib.adapters.dynamodb_reply_claims import DynamoDBReplyClaims
    from chalicelib.adapters.dynamodb_reputation_counters import DynamoDBReputationCounters
    from chalicelib.adapters.dynamodb_send_ledger import DynamoDBSendLedger
    from chalicelib.adapters.dynamodb_suppression_list import DynamoDBSuppressionList
    from chalicelib.adapters.s3_download_links import S3DownloadLinks
    from chalicelib.adapters.ses_sender import SesSender
    from chalicelib.services.outbound import OutboundService
    from chalicelib.services.outbound_ports import OutboundPorts

    table = settings.suppression_table
    suppression_list = DynamoDBSuppressionList(dynamodb, table)
    counters = DynamoDBReputationCounters(dynamodb, table)
    send_ledger = DynamoDBSendLedger(dynamodb, table)
    sender = SesSender(
        _on_first_use(lambda: _client(session, "ses", settings)),
        settings.configuration_set,
        settings.sending_identity_arn,
        _on_first_use(lambda: _client(session, "sesv2", settings)),
        mailboxes=settings.mailboxes,
    )
    links = S3DownloadLinks(signer, settings.mail_bucket, settings.attachment_link_seconds)
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
            presign=lambda attachment: links.link(attachment)[0],
            reply_secrets=reply_secrets,
            reply_claims=DynamoDBReplyClaims(dynamodb, settings.tickets_table),
            account_rates=AccountReputation(
                _on_first_use(lambda: _client(session, "cloudwatch", settings))
            ).rates,
            publish_event=events.publish_event,
        ),
    )
    feedback_ledger = DynamoDBFeedbackLedger(dynamodb, table)
    return _MailOut(outbound, sender, suppression_list, counters, send_ledger, feedback_ledger)


def _announcements(
    settings: Settings, session: Session, dynamodb: DynamoDBClient, mail_out: _MailOut, desk: TicketDesk
) -> _Announcing:
    """Announcements: their own table items, queue and SES configuration set, the one guard."""
    from datetime import UTC, datetime

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
    sesv2 = _on_first_use(lambda: _client(session, "sesv2", settings))
    batches = SqsBatches(
        _on_first_use(lambda: _client(session, "sqs", settings)), settings.announcement_queue
    )
    store = DynamoDBAnnouncements(dynamodb, settings.tickets_table)
    counters = outbound.ports.counters
    service = AnnouncementService(
        settings,
        AnnouncementPorts(
            store=store,
            queue=DynamoDBQueue(dynamodb, settings.tickets_table),
            sanitise_html=desk.ports.sanitise_html,
            reply_secrets=outbound.ports.reply_secrets,
            send_test=sender.send_raw,
            check=lambda address: outbound.check(address, automatic=False),
            enqueue=batches.enqueue,
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
    )
    announcer = sending.AnnouncementSender(
        ports, sending.SEND_CONCURRENCY, settings.announcement_quota_reserve
    )
    return _Announcing(service, announcer)


def _desk(
    settings: Settings,
    dynamodb: DynamoDBClient,
    signer: S3Client,
    tickets: TicketStore,
    store: MailStore,
    renderers: Renderers,
    events: Events,
) -> TicketDesk:
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.adapters.dynamodb_queue import DynamoDBQueue
    from chalicelib.adapters.dynamodb_ticket_edits import DynamoDBTicketEdits
    from chalicelib.adapters.s3_download_links import S3DownloadLinks
    from chalicelib.services.desk_ports import DeskPorts
    from chalicelib.services.ticket_desk import TicketDesk

    desk_ports = DeskPorts(
        queue=DynamoDBQueue(dynamodb, settings.tickets_table),
        edits=DynamoDBTicketEdits(dynamodb, settings.tickets_table),
        tickets=tickets,
        bodies=store,
        links=S3DownloadLinks(signer, settings.mail_bucket),
        events=events,
        sanitise_html=renderers.sanitise_html,
        now=_now,
        is_agent=DynamoDBAgents(dynamodb, settings.tickets_table).is_agent,
    )
    return TicketDesk(settings, desk_ports)


def _now() -> str:
    from datetime import UTC, datetime

    from chalicelib.domain.timestamps import iso_millis

    return iso_millis(datetime.now(UTC))


def _presence(settings: Settings, dynamodb: DynamoDBClient) -> TicketPresence:
    from datetime import UTC, datetime

    from chalicelib.adapters.dynamodb_presence import DynamoDBPresence
    from chalicelib.services.ticket_presence import TicketPresence

    return TicketPresence(DynamoDBPresence(dynamodb, settings.tickets_table), lambda: datetime.now(UTC))


def _search(
    settings: Settings, dynamodb: DynamoDBClient, tickets: TicketStore, desk: TicketDesk
) -> TicketFinder:
    from chalicelib.adapters.dynamodb_search import DynamoDBSearch
    from chalicelib.services.ticket_search import TicketFinder

    return TicketFinder(
        DynamoDBSearch(dynamodb, settings.tickets_table), tickets, desk.mailbox, desk._assignee
    )


def _signing_s3(session: Session, settings: Settings) -> S3Client:
    """Presigned links need Signature Version 4 (the only one newer regions accept)."""
    from botocore.config import Config

    config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
    return session.client(
        "s3", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )


def _sign_in_guard(settings: Settings, dynamodb: DynamoDBClient) -> SignInGuard:
    from chalicelib.adapters.dynamodb_sign_in_attempts import DynamoDBSignInAttempts
    from chalicelib.services.sign_in_guard import SignInGuard

    return SignInGuard(DynamoDBSignInAttempts(dynamodb, settings.tickets_table))


def _console_sign_in(settings: Settings, session: Session) -> CognitoSignIn:
    """The console's sign-in proxy; its Cognito client is built by the first sign-in.

    Unsigned: InitiateAuth and RespondToAuthChallenge are public operations of a pool's
    app client, so the Lambda needs no IAM permission (nor credentials) for them."""
    from botocore import UNSIGNED
    from botocore.config import Config

    from chalicelib.console.cognito_sign_in import CognitoSignIn

    config = Config(
        signature_version=UNSIGNED,
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=15,
    )
    # The pool's own region is the prefix of its id (us-east-1_AbC...).
    region = settings.user_pool_id.partition("_")[0] or settings.region

    def build() -> CognitoIdentityProviderClient:
        with _SESSION_LOCK:
            return session.client(
                "cognito-idp", region_name=region, endpoint_url=settings.endpoint_url, config=config
            )

    return CognitoSignIn(_on_first_use(build), settings.user_pool_client_id)


def _staff_admin(
    settings: Settings, session: Session, dynamodb: DynamoDBClient, outbound: OutboundService
) -> StaffAdmin:
    """Signed Cognito calls (AdminCreateUser and friends): the Lambda's role grants them."""
    from botocore.config import Config

    from chalicelib.adapters.cognito_staff import CognitoStaff
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.services.staff_admin import StaffAdmin

    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=15)
    region = settings.user_pool_id.partition("_")[0] or settings.region  # the pool's own region
    with _SESSION_LOCK:
        cognito = session.client(
            "cognito-idp", region_name=region, endpoint_url=settings.endpoint_url, config=config
        )
    return StaffAdmin(
        CognitoStaff(cognito, settings.user_pool_id),
        DynamoDBAgents(dynamodb, settings.tickets_table),
        outbound,
    )


def _staff_identities(
    settings: Settings, dynamodb: DynamoDBClient, fetch_jwks: Any = None
) -> StaffIdentities:
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.services.staff_identities import StaffIdentities

    return StaffIdentities(
        _token_verifier(settings, fetch_jwks), DynamoDBAgents(dynamodb, settings.tickets_table)
    )


def _token_verifier(settings: Settings, fetch_jwks: Any = None) -> Any:
    """Cheap to build: PyJWT is imported and the JWKS fetched on the first request."""
    from chalicelib.api.auth import TokenVerifier, http_jwks_fetcher, jwks_location

    if fetch_jwks is None and settings.user_pool_id:
        fetch_jwks = http_jwks_fetcher(
            *jwks_location(settings.user_pool_id, settings.endpoint_url, settings.jwks_url)
        )
    return TokenVerifier(settings.user_pool_id, settings.user_pool_client_id, fetch_jwks or _no_jwks)


def _no_jwks() -> dict:
    return {"keys": []}


def build_redrive(services: Services, session: Session, queues: list[str], wait_seconds: int = 1) -> Any:
    """The operator's re-drive (`inbound redrive`): quarantine/failed/ back through ingest,
    the dead-letter queues of `queues` back to them. Built on demand; no Lambda uses it."""
    from chalicelib.adapters.s3_quarantine import S3Quarantine
    from chalicelib.adapters.sqs_redrive import SqsDeadLetters
    from chalicelib.services.redrive import RedriveService

    settings = services.settings
    sqs = _client(session, "sqs", settings)
    return RedriveService(
        services.ingest,
        S3Quarantine(_client(session, "s3", settings), settings.mail_bucket),
        [SqsDeadLetters.of(sqs, name, wait_seconds) for name in queues],
    )


@functools.lru_cache(maxsize=1)
def services() -> Services:
    """The Lambda container's services, built on first use."""
    return build_services(Settings.from_env())
