"""Delivering test mail into an embedded stack the way SES does: S3 object, then notification."""

from __future__ import annotations

from types import SimpleNamespace

from chalicelib.domain.outcome import Outcome
from chalicelib.services.notifications import decode
from tests.support.mail_factory import received_notification, ses_id


def deliver(
    stack, raw: bytes, recipients=("support@example.com",), message_id: str | None = None, **verdicts
) -> Outcome:
    message_id = message_id or ses_id()
    stack.store.put_incoming(message_id, raw)
    note = received_notification(message_id, stack.settings.mail_bucket, tuple(recipients), **verdicts)
    return stack.ingest.ingest(decode(note, stack.settings.mail_bucket))


def notification_for(stack, raw: bytes, recipients=("support@example.com",), **verdicts) -> str:
    message_id = ses_id()
    stack.store.put_incoming(message_id, raw)
    return received_notification(message_id, stack.settings.mail_bucket, tuple(recipients), **verdicts)


def deliver_via(svc, raw: bytes, **kwargs):
    """`deliver` into a stack's store and ingest as `svc` (services built with other settings) has them."""
    return deliver(
        SimpleNamespace(store=svc.ingest.ports.store, settings=svc.settings, ingest=svc.ingest), raw, **kwargs
    )
