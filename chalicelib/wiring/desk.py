"""The desk side of the wiring: what the staff API and the console use (the desk, search,
presence, the change counters, staff identities, the sign-in guard and proxy, staff
administration). Loaded by the first of these that is used, never by an ingest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings
from chalicelib.wiring.clients import SESSION_LOCK, on_first_use

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from chalicelib.adapters.cognito_sign_in import CognitoSignIn
    from chalicelib.api.auth import JwksFetcher, TokenVerifier
    from chalicelib.services.change_feed import ChangeFeed
    from chalicelib.services.composer import Composer
    from chalicelib.services.message_builder import Renderers
    from chalicelib.services.outbound import OutboundService
    from chalicelib.services.ports.records import ReplySecrets
    from chalicelib.services.ports.tickets import Events, MailStore, TicketStore
    from chalicelib.services.sign_in_guard import SignInGuard
    from chalicelib.services.staff_admin import StaffAdmin
    from chalicelib.services.staff_identities import StaffIdentities
    from chalicelib.services.team_reports import TeamReports
    from chalicelib.services.ticket_desk import TicketDesk
    from chalicelib.services.ticket_presence import TicketPresence
    from chalicelib.services.ticket_search import TicketFinder


def desk(
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
    from chalicelib.adapters.dynamodb_sla import DynamoDBSlaSettings
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
        now=now,
        is_agent=DynamoDBAgents(dynamodb, settings.tickets_table).is_agent,
        sla=DynamoDBSlaSettings(dynamodb, settings.tickets_table),
    )
    return TicketDesk(settings, desk_ports)


def now() -> str:
    from datetime import UTC, datetime

    from chalicelib.domain.timestamps import iso_millis

    return iso_millis(datetime.now(UTC))


def presence(settings: Settings, dynamodb: DynamoDBClient) -> TicketPresence:
    from datetime import UTC, datetime

    from chalicelib.adapters.dynamodb_presence import DynamoDBPresence
    from chalicelib.services.ticket_presence import TicketPresence

    return TicketPresence(DynamoDBPresence(dynamodb, settings.tickets_table), lambda: datetime.now(UTC))


def search(
    settings: Settings, dynamodb: DynamoDBClient, tickets: TicketStore, desk: TicketDesk
) -> TicketFinder:
    from chalicelib.adapters.dynamodb_search import DynamoDBSearch
    from chalicelib.services.desk_input import assignee_name
    from chalicelib.services.ticket_search import TicketFinder

    return TicketFinder(
        DynamoDBSearch(dynamodb, settings.tickets_table), tickets, desk.mailbox, assignee_name
    )


def sign_in_guard(settings: Settings, dynamodb: DynamoDBClient, reply_secrets: ReplySecrets) -> SignInGuard:
    from chalicelib.adapters.dynamodb_sign_in_attempts import DynamoDBSignInAttempts
    from chalicelib.services.sign_in_guard import SignInGuard

    return SignInGuard(DynamoDBSignInAttempts(dynamodb, settings.tickets_table), secrets=reply_secrets)


def console_sign_in(settings: Settings, session: Session) -> CognitoSignIn:
    """The console's sign-in proxy; its Cognito client is built by the first sign-in.

    Unsigned: InitiateAuth and RespondToAuthChallenge are public operations of a pool's
    app client, so the Lambda needs no IAM permission (nor credentials) for them."""
    from botocore import UNSIGNED
    from botocore.config import Config

    from chalicelib.adapters.cognito_sign_in import CognitoSignIn

    config = Config(
        signature_version=UNSIGNED,
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=15,
    )
    # The pool's own region is the prefix of its id (us-east-1_AbC...).
    region = settings.user_pool_id.partition("_")[0] or settings.region

    def build() -> CognitoIdentityProviderClient:
        with SESSION_LOCK:
            return session.client(
                "cognito-idp", region_name=region, endpoint_url=settings.endpoint_url, config=config
            )

    return CognitoSignIn(on_first_use(build), settings.user_pool_client_id)


def staff_admin(
    settings: Settings, session: Session, dynamodb: DynamoDBClient, outbound: OutboundService
) -> StaffAdmin:
    """Signed Cognito calls (AdminCreateUser and friends): the Lambda's role grants them."""
    from botocore.config import Config

    from chalicelib.adapters.cognito_staff import CognitoStaff
    from chalicelib.adapters.dynamodb_admin_guard import DynamoDBAdminGuard
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.services.staff_admin import StaffAdmin

    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=15)
    region = settings.user_pool_id.partition("_")[0] or settings.region  # the pool's own region
    with SESSION_LOCK:
        cognito = session.client(
            "cognito-idp", region_name=region, endpoint_url=settings.endpoint_url, config=config
        )
    return StaffAdmin(
        CognitoStaff(cognito, settings.user_pool_id),
        DynamoDBAgents(dynamodb, settings.tickets_table),
        outbound,
        DynamoDBAdminGuard(dynamodb, settings.tickets_table),
    )


def staff_identities(
    settings: Settings, dynamodb: DynamoDBClient, fetch_jwks: JwksFetcher | None = None
) -> StaffIdentities:
    from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
    from chalicelib.services.staff_identities import StaffIdentities

    return StaffIdentities(
        token_verifier(settings, fetch_jwks),
        DynamoDBAgents(dynamodb, settings.tickets_table),
        enabled_for=settings.staff_check_seconds,
    )


def token_verifier(settings: Settings, fetch_jwks: JwksFetcher | None = None) -> TokenVerifier:
    """Cheap to build: PyJWT is imported and the JWKS fetched on the first request."""
    from chalicelib.api.auth import TokenVerifier, http_jwks_fetcher, jwks_location

    if fetch_jwks is None and settings.user_pool_id:
        fetch_jwks = http_jwks_fetcher(
            *jwks_location(settings.user_pool_id, settings.endpoint_url, settings.jwks_url)
        )
    return TokenVerifier(settings.user_pool_id, settings.user_pool_client_id, fetch_jwks or no_jwks)


def no_jwks() -> dict[str, Any]:
    return {"keys": []}


def change_feed(settings: Settings, dynamodb: DynamoDBClient) -> ChangeFeed:
    """The change counters an open console polls."""
    from chalicelib.adapters.dynamodb_changes import DynamoDBChanges
    from chalicelib.services.change_feed import ChangeFeed

    boxes = [settings.default_mailbox, *settings.mailboxes.values()]
    return ChangeFeed(DynamoDBChanges(dynamodb, settings.tickets_table), boxes)


def team_reports(settings: Settings, dynamodb: DynamoDBClient) -> TeamReports:
    """The team report: the report counters (tickets table), the reputation counters
    (suppression table); no SES client."""
    from datetime import UTC, datetime

    from chalicelib.adapters.dynamodb_report_counters import DynamoDBReportCounters
    from chalicelib.adapters.dynamodb_reputation_counters import DynamoDBReputationCounters
    from chalicelib.services.team_reports import TeamReports

    return TeamReports(
        settings,
        DynamoDBReportCounters(dynamodb, settings.tickets_table),
        DynamoDBReputationCounters(dynamodb, settings.suppression_table),
        lambda: datetime.now(UTC),
    )


def composer(
    settings: Settings, dynamodb: DynamoDBClient, tickets: TicketStore, renderers: Renderers
) -> Composer:
    """Saved replies, the agents' profiles, a reply as it is sent."""
    from chalicelib.adapters.dynamodb_agent_profiles import DynamoDBAgentProfiles
    from chalicelib.adapters.dynamodb_saved_replies import DynamoDBSavedReplies
    from chalicelib.services.composer import Composer

    return Composer(
        DynamoDBSavedReplies(dynamodb, settings.tickets_table),
        DynamoDBAgentProfiles(dynamodb, settings.tickets_table),
        tickets,
        [settings.default_mailbox, *settings.mailboxes.values()],
        now,
        renderers.sanitise_html,
    )
