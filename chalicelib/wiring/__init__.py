"""The one place that builds clients and assembles services (the composition root).

Nothing here runs at import: `app.py` calls `services()` inside handlers, so importing the
app touches no AWS and creates no client. `Services` builds each service by its first use
from builders grouped by side, each module imported by the first property that needs it,
so a cold start loads only its own function's side:

- `clients`: the boto3 clients (one session and lock, clients built by their first use);
- `shared`: the clients and adapters several services share, and the desk (a reply that
  reopens a ticket goes through it; `Services` extends it);
- `ingest`: the ingest's ports, the mail readers, the sweeper, the operator's re-drive;
- `desk`: the staff API and console (desk, search, presence, change counters, identities,
  the sign-in guard and proxy, staff administration);
- `outbound`: every mail that leaves (the guard, feedback, the suppression list, replies
  held for undo-send) and announcements.

About 300 lines on purpose: `Services` is one class of one short cached property per
service, the one place a reader finds what each service is built from; the builders
themselves live in the side modules above.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from chalicelib.settings import Settings
from chalicelib.wiring.shared import SharedAdapters

if TYPE_CHECKING:
    from boto3.session import Session

    from chalicelib.adapters.cognito_sign_in import CognitoSignIn
    from chalicelib.api.auth import JwksFetcher
    from chalicelib.services.announcement_sending import AnnouncementSender
    from chalicelib.services.announcements import AnnouncementService
    from chalicelib.services.assignee_alerts import AssigneeAlerts
    from chalicelib.services.change_feed import ChangeFeed
    from chalicelib.services.composer import Composer
    from chalicelib.services.feedback import FeedbackService
    from chalicelib.services.file_links import FileLinks
    from chalicelib.services.held_replies import HeldReplySender
    from chalicelib.services.ingest import IngestService
    from chalicelib.services.outbound import OutboundService
    from chalicelib.services.ports.tickets import AlertPreferences, SlaSettings
    from chalicelib.services.reply_uploads import ReplyUploads
    from chalicelib.services.sign_in_guard import SignInGuard
    from chalicelib.services.sla_backlog import SlaBacklog
    from chalicelib.services.sla_clocks import SlaSweep
    from chalicelib.services.staff_admin import StaffAdmin
    from chalicelib.services.staff_identities import StaffIdentities
    from chalicelib.services.suppression import SuppressionService
    from chalicelib.services.suspended_mail import SuspendedMail
    from chalicelib.services.sweeper import IncomingSweeper
    from chalicelib.services.team_reports import TeamReports
    from chalicelib.services.ticket_forwarding import TicketForwarding
    from chalicelib.services.ticket_presence import TicketPresence
    from chalicelib.services.ticket_search import TicketFinder
    from chalicelib.wiring.outbound import Announcing


def build_services(
    settings: Settings, session: Session | None = None, fetch_jwks: JwksFetcher | None = None
) -> Services:
    """Wire adapters to services. Tests pass their own session (moto), settings or JWKS fetcher."""
    from chalicelib.wiring.clients import new_session

    # flufl.bounce logs every detector it runs at INFO; keep Lambda logs for our own lines.
    logging.getLogger("flufl.bounce").setLevel(logging.WARNING)
    return Services(settings, session or new_session(), fetch_jwks)


class Services(SharedAdapters):
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

    @functools.cached_property
    def file_links(self) -> FileLinks:
        """What /files/<token> in outgoing mail answers: a fresh, short presigned GET."""
        from chalicelib.wiring.outbound import file_links

        return file_links(self.settings, self._signer, self._reply_secrets, self.public_url)

    @functools.cached_property
    def _announcing(self) -> Announcing:
        from chalicelib.wiring.outbound import announcements

        return announcements(self.settings, self._session, self._dynamodb, self._mail_out, self.desk)

    # -- the services (the clients and adapters they share: `shared`) ----------
    @functools.cached_property
    def ingest(self) -> IngestService:
        from chalicelib.wiring.ingest import ingest_service

        acknowledge = self.settings.acknowledge_new_tickets
        return ingest_service(
            self.settings,
            self._dynamodb,
            self._store,
            self._tickets,
            self._renderers,
            self._reply_secrets,
            self._events,
            acknowledge=(lambda *ticket: self.outbound.acknowledge(*ticket)) if acknowledge else None,
            suppress_bounced=lambda *report: self.feedback.suppress_from_inbound_bounce(*report),
            alert_assignee=lambda ticket: self.assignee_alerts.customer_replied(ticket),
        )

    @functools.cached_property
    def alert_preferences(self) -> AlertPreferences:
        """Each agent's choice of a mail when their ticket's customer replies."""
        from chalicelib.adapters.dynamodb_alert_preferences import DynamoDBAlertPreferences

        return DynamoDBAlertPreferences(self._dynamodb, self.settings.tickets_table)

    @functools.cached_property
    def assignee_alerts(self) -> AssigneeAlerts:
        """Mail to an agent whose ticket's customer replied, through the outbound guard."""
        from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
        from chalicelib.services.assignee_alerts import AssigneeAlerts

        agents = DynamoDBAgents(self._dynamodb, self.settings.tickets_table)
        return AssigneeAlerts(self.settings, self.outbound.ports, self.alert_preferences, agents.is_agent)

    @functools.cached_property
    def suspended(self) -> SuspendedMail:
        from chalicelib.services.suspended_mail import SuspendedMail

        return SuspendedMail(self.ingest.ports, self.ingest.filing)

    @functools.cached_property
    def auth(self) -> StaffIdentities:
        """Staff tokens (JWKS fetched on first use) named by their `sub`."""
        from chalicelib.wiring.desk import staff_identities

        return staff_identities(self.settings, self._dynamodb, self._fetch_jwks)

    @functools.cached_property
    def outbound(self) -> OutboundService:
        """Every mail that leaves, through the guard."""
        return self._mail_out.outbound

    @functools.cached_property
    def feedback(self) -> FeedbackService:
        """SES bounce/complaint feedback -> suppression list; announcements' events to them."""
        from chalicelib.wiring.outbound import feedback_service

        return feedback_service(
            self.settings, self._mail_out, lambda events: self.announcements.record_events(events)
        )

    @functools.cached_property
    def suppression(self) -> SuppressionService:
        """List, check, remove, import, reputation."""
        from chalicelib.wiring.outbound import suppression_service

        return suppression_service(self.settings, self._session, self._mail_out)

    @functools.cached_property
    def sweeper(self) -> IncomingSweeper:
        """Re-drives mail left in incoming/."""
        from chalicelib.wiring.ingest import sweeper

        return sweeper(self.settings, self.ingest)

    @functools.cached_property
    def sla_sweep(self) -> SlaSweep:
        """Publishes each SLA breach once (run by the scheduled sweep)."""
        from chalicelib.adapters.dynamodb_sla import DynamoDBSlaWatch
        from chalicelib.services.sla_clocks import SlaSweep

        watch = DynamoDBSlaWatch(self._dynamodb, self.settings.tickets_table)
        return SlaSweep(list(self.settings.mailboxes.values()), watch, self._events)

    @functools.cached_property
    def sla_backlog(self) -> SlaBacklog:
        """Moves the open backlog's due times to a changed target, a page per call."""
        from chalicelib.adapters.dynamodb_queue import DynamoDBQueue
        from chalicelib.adapters.dynamodb_sla import DynamoDBSlaWatch
        from chalicelib.services.sla_backlog import SlaBacklog

        table = self.settings.tickets_table
        return SlaBacklog(
            list(self.settings.mailboxes.values()),
            self.sla_settings,
            DynamoDBQueue(self._dynamodb, table),
            DynamoDBSlaWatch(self._dynamodb, table),
        )

    @functools.cached_property
    def sla_settings(self) -> SlaSettings:
        """The SLA targets per mailbox and priority."""
        from chalicelib.adapters.dynamodb_sla import DynamoDBSlaSettings

        return DynamoDBSlaSettings(self._dynamodb, self.settings.tickets_table)

    @functools.cached_property
    def sign_in_guard(self) -> SignInGuard:
        """Attempts the console's sign-in proxy lets through."""
        from chalicelib.wiring.desk import sign_in_guard

        return sign_in_guard(self.settings, self._dynamodb, self._reply_secrets)

    @functools.cached_property
    def search(self) -> TicketFinder:
        """Search, customer history, the index's backfill."""
        from chalicelib.wiring.desk import search

        return search(self.settings, self._dynamodb, self._tickets, self.desk)

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
        from chalicelib.wiring.desk import change_feed

        return change_feed(self.settings, self._dynamodb)

    @functools.cached_property
    def reports(self) -> TeamReports:
        """The team report, from the counters ticket writes keep."""
        from chalicelib.wiring.desk import team_reports

        return team_reports(self.settings, self._dynamodb)

    @functools.cached_property
    def presence(self) -> TicketPresence:
        """Who else has a ticket open or is writing on it."""
        from chalicelib.wiring.desk import presence

        return presence(self.settings, self._dynamodb)

    @functools.cached_property
    def staff_admin(self) -> StaffAdmin:
        """The console's staff administration: the user pool, the roster, invitations."""
        from chalicelib.wiring.desk import staff_admin

        return staff_admin(self.settings, self._session, self._dynamodb, self.outbound)

    @functools.cached_property
    def uploads(self) -> ReplyUploads:
        """Reply attachments: presigned POST forms, the uploads judged again at send."""
        from chalicelib.adapters.s3_uploads import S3Uploads
        from chalicelib.services.reply_uploads import ReplyUploads

        store = S3Uploads(self._signer, self.settings.mail_bucket)
        return ReplyUploads(self.settings, store, self._tickets.live_ticket)

    @functools.cached_property
    def composer(self) -> Composer:
        """Saved replies, signatures, a reply's markdown as safe HTML."""
        from chalicelib.wiring.desk import composer

        return composer(self.settings, self._dynamodb, self._tickets, self._renderers)

    @functools.cached_property
    def forwarding(self) -> TicketForwarding:
        """Forward a message or a ticket to any address, through the outbound guard."""
        from chalicelib.services.ticket_forwarding import TicketForwarding

        return TicketForwarding(self.settings, self.outbound, self._store, profile=self.composer.profile)

    @functools.cached_property
    def held_replies(self) -> HeldReplySender:
        """Undo-send: replies held for the send delay, sent by send_reply unless undone."""
        from chalicelib.wiring.outbound import held_replies

        return held_replies(self.settings, self._session, self._dynamodb, self.outbound, self.uploads)

    @functools.cached_property
    def console_sign_in(self) -> CognitoSignIn:
        """The console's sign-in proxy to the user pool."""
        from chalicelib.wiring.desk import console_sign_in

        return console_sign_in(self.settings, self._session)


@functools.lru_cache(maxsize=1)
def services() -> Services:
    """The Lambda container's services, built on first use."""
    return build_services(Settings.from_env())
