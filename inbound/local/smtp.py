"""SES receiving on this machine: an SMTP listener that applies the active receipt rule set.

Like SES, it accepts a recipient only when an enabled rule of the active rule set matches
it (550 otherwise), refuses mail over 40 MB (552), prepends the headers SES adds, writes
the raw message to the S3 action's bucket under `<prefix><message id>` and publishes the
"Received" notification to the action's topic. Everything it reads (rules) and writes
(S3, SNS) goes through the AWS API of the local endpoint, so the rest of the stack sees
exactly what SES would have produced.

Offline differences, on purpose: no DNS, so SPF, DKIM and DMARC are "none" (GRAY in the
notification); the rule's TlsPolicy is not enforced (loopback, no certificate); only S3
actions (and StopAction) run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.settings import SES_MAX_MESSAGE_BYTES
from inbound.local import crash_point
from inbound.local.journal import Entry, Journal
from inbound.local.ses_received import (
    SMTP_HOST_NAME,
    Envelope,
    envelope_from_record,
    envelope_record,
    new_message_id,
    notification,
    ses_headers,
)
from inbound.stage.ses_documents import recipient_matches

log = logging.getLogger("inbound.local")

REJECTED = "550 5.1.1 Recipient address rejected"
SNS_MAX_MESSAGE_BYTES = 256 * 1024
RULES_SECONDS = 2.0


class Refused(Exception):
    """A message SES would not accept; the SMTP reply says why (nothing was stored)."""


@dataclass(frozen=True)
class _Delivery:
    """One S3 action's share of a message: where it goes and what its topic is told."""

    action: dict[str, Any]
    envelope: Envelope
    note: str  # the notification, as JSON; "" without a topic


class SesReceiver:
    """The receiving half of SES against an AWS endpoint (ses, s3 and sns clients)."""

    def __init__(self, clients: dict[str, Any], journal: Journal | None = None) -> None:
        self._ses, self._s3, self._sns = clients["ses"], clients["s3"], clients["sns"]
        self.journal = journal
        self._rules: tuple[float, list[dict[str, Any]]] = (-RULES_SECONDS - 1, [])

    def rules(self) -> list[dict[str, Any]]:
        """The enabled rules of the active rule set, in order (read again after RULES_SECONDS:
        SES too takes a while to apply a rule change, and a burst asks for each RCPT)."""
        read_at, rules = self._rules
        if time.monotonic() - read_at > RULES_SECONDS:
            active = self._ses.describe_active_receipt_rule_set()
            rules = [r for r in active.get("Rules") or [] if r.get("Enabled")]
            self._rules = (time.monotonic(), rules)
        return rules

    def accepts(self, address: str) -> bool:
        return any(recipient_matches(r.get("Recipients") or [], address) for r in self.rules())

    def receive(self, envelope: Envelope, content: bytes) -> str:
        """Run the matching rules' actions on one message; returns the SES message id.

        Everything is built first (headers, notifications): a message that cannot be
        described is refused before anything is written. Then the journal entry is made
        durable, then S3 and SNS are written; a failure there discards the entry, as the
        sender is told to retry."""
        message_id = new_message_id()
        raw = ses_headers(envelope, message_id, content) + content
        deliveries = [
            _Delivery(action, matched, self._note(action, matched, message_id, raw))
            for action, matched in self._plan(envelope)
        ]
        if self.journal is not None:
            actions = [{**d.action, "recipients": list(d.envelope.recipients)} for d in deliveries]
            self.journal.write(Entry(message_id, envelope_record(envelope), actions, raw))
            crash_point.reached("journaled")
        try:
            for delivery in deliveries:
                self._put(delivery.action, delivery.envelope, message_id, raw)
                if delivery.note:
                    self._sns.publish(TopicArn=delivery.action["TopicArn"], Message=delivery.note)
        except (ClientError, BotoCoreError):
            if self.journal is not None:
                self.journal.discard(message_id)
            raise
        if self.journal is not None:
            self.journal.landed(message_id)
        return message_id

    def _plan(self, envelope: Envelope) -> list[tuple[dict[str, Any], Envelope]]:
        """The S3 actions of the rules the recipients match, up to a StopAction."""
        plan = []
        for rule in self.rules():
            matched = tuple(
                r for r in envelope.recipients if recipient_matches(rule.get("Recipients") or [], r)
            )
            if not matched:
                continue
            for action in rule.get("Actions") or []:
                if "S3Action" in action:
                    plan.append((action["S3Action"], replace(envelope, recipients=matched)))
                elif "StopAction" in action:
                    return plan
                else:
                    log.warning(
                        "smtp: rule %s: action %s is not emulated locally", rule["Name"], sorted(action)
                    )
        return plan

    @staticmethod
    def _note(action: dict[str, Any], envelope: Envelope, message_id: str, raw: bytes) -> str:
        if not action.get("TopicArn"):
            return ""
        note = json.dumps(notification(action, envelope, message_id, raw))
        if len(note.encode("utf-8")) > SNS_MAX_MESSAGE_BYTES:  # cannot happen once cut; never stored
            raise Refused(f"554 5.6.0 The message's notification exceeds {SNS_MAX_MESSAGE_BYTES} bytes")
        return note

    def _put(self, action: dict[str, Any], envelope: Envelope, message_id: str, raw: bytes) -> None:
        key = action.get("ObjectKeyPrefix", "") + message_id
        # SES stores the raw bytes only; the envelope rides along as object metadata
        # (local only) so that the start-up re-drive can rebuild the same notification.
        metadata = {
            "ses-source": quote(envelope.mail_from),
            "ses-recipients": quote(",".join(envelope.recipients)),
            "ses-timestamp": envelope.received_at.isoformat(),
            "ses-topic": action.get("TopicArn", ""),
        }
        self._s3.put_object(Bucket=action["BucketName"], Key=key, Body=raw, Metadata=metadata)

    def restore(self, entry: Entry) -> None:
        """Put a journal entry's raw mail back under its actions' keys (the re-drive publishes)."""
        envelope = envelope_from_record(entry.envelope)
        for action in entry.actions:
            recipients = tuple(action.get("recipients") or envelope.recipients)
            self._put(action, replace(envelope, recipients=recipients), entry.ses_message_id, entry.raw)

    def redrive(self, bucket: str, key: str) -> bool:
        """Publish the notification again for a message still in incoming/ (the sweeper)."""
        meta = self._s3.head_object(Bucket=bucket, Key=key).get("Metadata", {})
        topic = meta.get("ses-topic") or next(
            (
                a["S3Action"]["TopicArn"]
                for r in self.rules()
                for a in r.get("Actions") or []
                if "S3Action" in a
            ),
            "",
        )
        if not topic:
            return False
        prefix, _, message_id = key.rpartition("/")
        action = {"BucketName": bucket, "ObjectKeyPrefix": f"{prefix}/" if prefix else "", "TopicArn": topic}
        stamp = meta.get("ses-timestamp")
        envelope = Envelope(
            mail_from=unquote(meta.get("ses-source", "")),
            recipients=tuple(r for r in unquote(meta.get("ses-recipients", "")).split(",") if r),
            received_at=datetime.fromisoformat(stamp) if stamp else datetime.now(UTC),
        )
        raw = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        note = self._note(action, envelope, message_id, raw)
        self._sns.publish(TopicArn=topic, Message=note)
        return True


class SmtpHandler:
    """aiosmtpd hooks; AWS calls run in the default executor, off the event loop."""

    def __init__(self, receiver: SesReceiver, busy: Any) -> None:
        self.receiver = receiver
        self.busy = busy  # context manager factory: held while a delivery is written

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        loop = asyncio.get_running_loop()
        try:
            accepted = await loop.run_in_executor(None, self.receiver.accepts, address)
        except (ClientError, BotoCoreError) as exc:
            log.warning("smtp: cannot read the receipt rules: %s", exc)
            return "451 4.3.0 Temporary failure, try again later"
        if not accepted:
            return REJECTED
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        mail = Envelope(
            envelope.mail_from or "", tuple(envelope.rcpt_tos), session.host_name or "unknown", peer
        )
        content = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        try:
            message_id = await loop.run_in_executor(None, self._receive, mail, content)
        except Refused as refused:
            log.warning("smtp: refused from <%s>: %s", mail.mail_from, refused)
            return str(refused)
        except (ClientError, BotoCoreError) as exc:
            log.warning("smtp: delivery failed, sender will retry: %s", exc)
            return "451 4.3.0 Temporary failure, try again later"
        recipients = ", ".join(mail.recipients)
        log.info("smtp: %s from <%s> to %s (%d bytes)", message_id, mail.mail_from, recipients, len(content))
        return f"250 Ok {message_id}"

    def _receive(self, mail: Envelope, content: bytes) -> str:
        if self.receiver.journal is not None:
            # The journal keeps a delivery consistent with snapshots (in-flight entries
            # are not listed), so acceptance never waits for one.
            return self.receiver.receive(mail, content)
        with self.busy():
            return self.receiver.receive(mail, content)


def start_smtp(receiver: SesReceiver, busy: Any, host: str, port: int) -> Any:
    """The listener in its own thread; call `.stop()` on the result to close it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class SesSmtp(SMTP):
        # RFC 5321 caps a line at 1,000 octets and aiosmtpd answers a longer one with a
        # permanent 500. SES documents no such limit for receiving, only the message size,
        # and stores the raw mail unmodified: a base64 attachment on one line arrives.
        line_length_limit = SES_MAX_MESSAGE_BYTES

    class SesController(Controller):
        def factory(self) -> SMTP:
            return SesSmtp(self.handler, **self.SMTP_kwargs)

    controller = SesController(
        SmtpHandler(receiver, busy),
        hostname=host,
        port=port,
        server_hostname=SMTP_HOST_NAME,
        data_size_limit=SES_MAX_MESSAGE_BYTES,
        enable_SMTPUTF8=True,
    )
    controller.start()
    return controller
