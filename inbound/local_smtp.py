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
import secrets
import string
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime, formataddr, getaddresses
from typing import Any
from urllib.parse import quote, unquote

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.settings import SES_MAX_MESSAGE_BYTES

log = logging.getLogger("inbound.local")

SMTP_HOST_NAME = "inbound-smtp.local"
HEADERS_NOTIFICATION_LIMIT = 10 * 1024  # SES truncates the notification's headers above 10 KB
REJECTED = "550 5.1.1 Recipient address rejected"
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_message_id() -> str:
    """An SES-like receiving message id: lowercase letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(28))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def recipient_matches(patterns: list[str], address: str) -> bool:
    """SES's rule: an address matches itself, a domain every address at it, `.domain` its subdomains.
    A rule without recipients matches every address."""
    if not patterns:
        return True
    address = address.lower()
    host = address.rpartition("@")[2]
    for pattern in (p.lower() for p in patterns):
        if "@" in pattern:
            if address == pattern:
                return True
        elif pattern.startswith("."):
            if host.endswith(pattern):
                return True
        elif host == pattern:
            return True
    return False


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    recipients: tuple[str, ...]
    helo: str = "unknown"
    peer: str = "127.0.0.1"
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def ses_headers(envelope: Envelope, message_id: str, raw: bytes) -> bytes:
    """The trace and verdict headers SES prepends (offline: no DNS, so no SPF/DKIM/DMARC)."""
    sender = envelope.mail_from or "<>"
    from_domain = _from_domain(raw) or sender.rpartition("@")[2]
    first = envelope.recipients[0] if envelope.recipients else ""
    lines = [
        f"Return-Path: <{envelope.mail_from}>",
        f"Received: from {envelope.helo} ({envelope.peer}) by {SMTP_HOST_NAME} with SMTP id {message_id}"
        f" for {first}; {format_datetime(envelope.received_at)}",
        "X-SES-Spam-Verdict: PASS",
        "X-SES-Virus-Verdict: PASS",
        f"Received-SPF: none (spfCheck: no DNS lookups on the local stack) client-ip={envelope.peer};"
        f" envelope-from={sender}; helo={envelope.helo};",
        # A DKIM-Signature, if any, stays unverified: the public key is in DNS, which the
        # local stack cannot query, so dkim=none (not fail).
        f"Authentication-Results: amazonses.com; spf=none (spfCheck: no DNS lookups on the local"
        f" stack) smtp.mailfrom={sender}; dkim=none; dmarc=none header.from={from_domain};",
    ]
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


def _headers(raw: bytes) -> Any:
    return BytesHeaderParser(policy=compat32).parsebytes(raw)


def _text(value: Any) -> str:
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _from_domain(raw: bytes) -> str:
    found = getaddresses([_text(v) for v in _headers(raw).get_all("From", [])])
    return found[0][1].rpartition("@")[2].lower() if found and found[0][1] else ""


def notification(action: dict[str, Any], envelope: Envelope, message_id: str, raw: bytes) -> dict[str, Any]:
    """SES's "Received" notification of an S3 action, as the action's topic gets it."""
    parsed = _headers(raw)
    headers, size, truncated = [], 0, False
    for name, value in parsed.items():
        size += len(name) + len(_text(value))
        if size > HEADERS_NOTIFICATION_LIMIT:
            truncated = True
            break
        headers.append({"name": name, "value": _text(value)})
    common: dict[str, Any] = {"returnPath": envelope.mail_from}
    for header, key in (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Reply-To", "replyTo")):
        found = getaddresses([_text(v) for v in parsed.get_all(header, [])])
        if found:
            common[key] = [formataddr(pair) for pair in found if pair[1]]
    for header, key in (("Date", "date"), ("Message-ID", "messageId"), ("Subject", "subject")):
        if parsed.get(header) is not None:
            common[key] = _text(parsed.get(header))
    timestamp = _iso(envelope.received_at)
    verdict_none = {"status": "GRAY"}
    return {
        "notificationType": "Received",
        "receipt": {
            "timestamp": timestamp,
            "processingTimeMillis": 1,
            "recipients": list(envelope.recipients),
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": verdict_none,
            "dkimVerdict": verdict_none,
            "dmarcVerdict": verdict_none,
            "action": {
                "type": "S3",
                "topicArn": action.get("TopicArn", ""),
                "bucketName": action["BucketName"],
                "objectKeyPrefix": action.get("ObjectKeyPrefix", ""),
                "objectKey": action.get("ObjectKeyPrefix", "") + message_id,
            },
        },
        "mail": {
            "timestamp": timestamp,
            "source": envelope.mail_from,
            "messageId": message_id,
            "destination": list(envelope.recipients),
            "headersTruncated": truncated,
            "headers": headers,
            "commonHeaders": common,
        },
    }


class SesReceiver:
    """The receiving half of SES against an AWS endpoint (ses, s3 and sns clients)."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self._ses, self._s3, self._sns = clients["ses"], clients["s3"], clients["sns"]

    def rules(self) -> list[dict[str, Any]]:
        """The enabled rules of the active rule set, in order."""
        active = self._ses.describe_active_receipt_rule_set()
        return [r for r in active.get("Rules") or [] if r.get("Enabled")]

    def accepts(self, address: str) -> bool:
        return any(recipient_matches(r.get("Recipients") or [], address) for r in self.rules())

    def receive(self, envelope: Envelope, content: bytes) -> str:
        """Run the matching rules' actions on one message; returns the SES message id."""
        message_id = new_message_id()
        raw = ses_headers(envelope, message_id, content) + content
        for rule in self.rules():
            matched = tuple(
                r for r in envelope.recipients if recipient_matches(rule.get("Recipients") or [], r)
            )
            if not matched:
                continue
            for action in rule.get("Actions") or []:
                if "S3Action" in action:
                    self._store(action["S3Action"], replace(envelope, recipients=matched), message_id, raw)
                elif "StopAction" in action:
                    return message_id
                else:
                    log.warning(
                        "smtp: rule %s: action %s is not emulated locally", rule["Name"], sorted(action)
                    )
        return message_id

    def _store(self, action: dict[str, Any], envelope: Envelope, message_id: str, raw: bytes) -> None:
        key = action.get("ObjectKeyPrefix", "") + message_id
        # SES stores the raw bytes only; the envelope rides along as object metadata
        # (local only) so that the start-up re-drive can rebuild the same notification.
        metadata = {
            "ses-source": quote(envelope.mail_from),
            "ses-recipients": quote(",".join(envelope.recipients)),
            "ses-timestamp": _iso(envelope.received_at),
            "ses-topic": action.get("TopicArn", ""),
        }
        self._s3.put_object(Bucket=action["BucketName"], Key=key, Body=raw, Metadata=metadata)
        if action.get("TopicArn"):
            note = notification(action, envelope, message_id, raw)
            self._sns.publish(TopicArn=action["TopicArn"], Message=json.dumps(note))

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
        self._sns.publish(TopicArn=topic, Message=json.dumps(notification(action, envelope, message_id, raw)))
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
        except (ClientError, BotoCoreError) as exc:
            log.warning("smtp: delivery failed, sender will retry: %s", exc)
            return "451 4.3.0 Temporary failure, try again later"
        recipients = ", ".join(mail.recipients)
        log.info("smtp: %s from <%s> to %s (%d bytes)", message_id, mail.mail_from, recipients, len(content))
        return f"250 Ok {message_id}"

    def _receive(self, mail: Envelope, content: bytes) -> str:
        with self.busy():
            return self.receiver.receive(mail, content)


def start_smtp(receiver: SesReceiver, busy: Any, host: str, port: int) -> Any:
    """The listener in its own thread; call `.stop()` on the result to close it."""
    from aiosmtpd.controller import Controller

    controller = Controller(
        SmtpHandler(receiver, busy),
        hostname=host,
        port=port,
        server_hostname=SMTP_HOST_NAME,
        data_size_limit=SES_MAX_MESSAGE_BYTES,
        enable_SMTPUTF8=True,
    )
    controller.start()
    return controller
