"""The clients and adapters several services share, each built by its first use, and the
desk, which the outbound side reopens tickets through (services/ports/reopen.py).

`Services` (this package's `__init__`) extends `SharedAdapters` with the other services;
a client, adapter or the desk here is built once, by the first service that needs it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from chalicelib.settings import Settings
from chalicelib.wiring.clients import client, on_first_use, signing_s3

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
    from chalicelib.adapters.s3_mail_store import S3MailStore
    from chalicelib.adapters.sns_events import SnsEvents
    from chalicelib.adapters.ssm_public_url import SsmPublicUrl
    from chalicelib.adapters.ssm_secrets import SsmReplySecrets
    from chalicelib.api.auth import JwksFetcher
    from chalicelib.services.message_builder import Renderers
    from chalicelib.services.ticket_desk import TicketDesk
    from chalicelib.wiring.outbound import MailOut


class SharedAdapters:
    def __init__(self, settings: Settings, session: Session, fetch_jwks: JwksFetcher | None = None) -> None:
        self.settings = settings
        self._session = session
        self._fetch_jwks = fetch_jwks

    @functools.cached_property
    def _s3(self) -> S3Client:
        return client(self._session, "s3", self.settings)

    @functools.cached_property
    def _dynamodb(self) -> DynamoDBClient:
        return client(self._session, "dynamodb", self.settings)

    @functools.cached_property
    def _signer(self) -> S3Client:
        return on_first_use(lambda: signing_s3(self._session, self.settings))

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

        ssm = on_first_use(lambda: client(self._session, "ssm", self.settings))
        return SsmReplySecrets(ssm, self.settings.reply_secret_parameter)

    @functools.cached_property
    def public_url(self) -> SsmPublicUrl:
        """The base of links in mail: INBOUND_PUBLIC_URL, else (deployed) the stage's SSM parameter."""
        from chalicelib.adapters.ssm_public_url import SsmPublicUrl

        ssm = on_first_use(lambda: client(self._session, "ssm", self.settings))
        s = self.settings
        return SsmPublicUrl(ssm, s.public_url_parameter, s.public_url, s.deployed)

    @functools.cached_property
    def _renderers(self) -> Renderers:
        from chalicelib.adapters.mail import body_render
        from chalicelib.services.message_builder import Renderers

        return Renderers(body_render.sanitise_html, body_render.latest_reply, body_render.html_text)

    @functools.cached_property
    def _events(self) -> SnsEvents:
        """Ticket events for integrations; the SNS client is built by the first event."""
        from chalicelib.adapters.sns_events import SnsEvents

        topic = self.settings.events_topic_arn
        sns = on_first_use(lambda: client(self._session, "sns", self.settings)) if topic else None
        return SnsEvents(sns, topic)

    @functools.cached_property
    def _mail_out(self) -> MailOut:
        from chalicelib.wiring.outbound import mail_out

        return mail_out(
            self.settings,
            self._session,
            self._dynamodb,
            self._signer,
            self._tickets,
            self._store,
            self._reply_secrets,
            self._events,
            self.public_url,
            # Built by the first reply that reopens a ticket: sending alone (an ingest's
            # acknowledgement, feedback) never loads the desk.
            reopener=on_first_use(lambda: self.desk),
        )

    @functools.cached_property
    def desk(self) -> TicketDesk:
        """The staff queue and ticket edits."""
        from chalicelib.wiring.desk import desk

        return desk(
            self.settings,
            self._dynamodb,
            self._signer,
            self._tickets,
            self._store,
            self._renderers,
            self._events,
        )
