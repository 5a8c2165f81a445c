"""What SES publishes to a configuration set's event destination, in its `eventType` form.

Shapes follow the SES developer guide's event-publishing examples. The mailbox
simulator addresses (labels allowed: `bounce+x@simulator.amazonses.com`) get
the outcomes SES documents for them:

| recipient                 | events                                                        |
| ------------------------- | ------------------------------------------------------------- |
| success@                  | Send, Delivery                                                |
| bounce@                   | Send, Bounce (Permanent / General, 5.1.1)                     |
| ooto@                     | Send, Delivery, then an out-of-office reply mailed back       |
| complaint@                | Send, Delivery, Complaint (abuse)                             |
| suppressionlist@          | Send, Bounce (Permanent / OnAccountSuppressionList)           |
| on the account's list     | Send, Bounce (Permanent / OnAccountSuppressionList)           |
| anyone else               | Send, Delivery                                                |
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses
from typing import Any

SIMULATOR_DOMAIN = "simulator.amazonses.com"
REPORTING_MTA = "a1-23.smtp-out.local.amazonses.com"


def simulator_kind(address: str) -> str | None:
    """`bounce` for `bounce+anything@simulator.amazonses.com`, None for other addresses."""
    local, _, domain = address.lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    base = local.partition("+")[0]
    return base if base in ("success", "bounce", "ooto", "complaint", "suppressionlist") else None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _feedback_id() -> str:
    return f"0100{uuid.uuid4().hex[:12]}-{uuid.uuid4()}-000000"


@dataclass(frozen=True)
class SentMail:
    message_id: str
    source: str
    destinations: tuple[str, ...]
    message: Message
    configuration_set: str
    account: str
    region: str
    source_arn: str = ""

    def mail_object(self) -> dict[str, Any]:
        """The `mail` object every event carries."""
        headers = [{"name": k, "value": str(v)} for k, v in self.message.items()]
        common: dict[str, Any] = {"messageId": self.message_id}
        for field, name in (("from", "From"), ("to", "To"), ("cc", "Cc"), ("replyTo", "Reply-To")):
            values = self.message.get_all(name) or []
            if values:
                common[field] = [a for _, a in getaddresses([str(v) for v in values])]
        if self.message.get("Subject"):
            common["subject"] = str(self.message["Subject"])
        domain = self.source.rpartition("@")[2].strip(">")
        return {
            "timestamp": _now(),
            "source": self.source,
            "sourceArn": self.source_arn or f"arn:aws:ses:{self.region}:{self.account}:identity/{domain}",
            "sendingAccountId": self.account,
            "messageId": self.message_id,
            "destination": list(self.destinations),
            "headersTruncated": False,
            "headers": headers,
            "commonHeaders": common,
            "tags": {
                "ses:configuration-set": [self.configuration_set],
                "ses:source-ip": ["127.0.0.1"],
                "ses:from-domain": [domain],
                "ses:caller-identity": ["local"],
            },
        }


def _bounce(sent: SentMail, recipient: str, sub_type: str, status: str, diagnostic: str) -> dict[str, Any]:
    return {
        "eventType": "Bounce",
        "mail": sent.mail_object(),
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": sub_type,
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": status,
                    "diagnosticCode": diagnostic,
                }
            ],
            "timestamp": _now(),
            "feedbackId": _feedback_id(),
            "reportingMTA": f"dsn; {REPORTING_MTA}",
        },
    }


def _delivery(sent: SentMail, recipient: str) -> dict[str, Any]:
    return {
        "eventType": "Delivery",
        "mail": sent.mail_object(),
        "delivery": {
            "timestamp": _now(),
            "processingTimeMillis": 412,
            "recipients": [recipient],
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": REPORTING_MTA,
        },
    }


def events_for(sent: SentMail, account_suppressed: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Every event SES would publish for one send, in order."""
    events: list[dict[str, Any]] = [{"eventType": "Send", "mail": sent.mail_object(), "send": {}}]
    for recipient in sent.destinations:
        kind = simulator_kind(recipient)
        if kind == "suppressionlist" or recipient.lower() in account_suppressed:
            events.append(
                _bounce(
                    sent,
                    recipient,
                    "OnAccountSuppressionList",
                    "5.1.1",
                    "Amazon SES did not send the message to this address because it is on the "
                    "suppression list for your account.",
                )
            )
        elif kind == "bounce":
            events.append(_bounce(sent, recipient, "General", "5.1.1", "smtp; 550 5.1.1 user unknown"))
        else:
            events.append(_delivery(sent, recipient))
            if kind == "complaint":
                events.append(
                    {
                        "eventType": "Complaint",
                        "mail": sent.mail_object(),
                        "complaint": {
                            "feedbackId": _feedback_id(),
                            "complaintSubType": None,
                            "complainedRecipients": [{"emailAddress": recipient}],
                            "timestamp": _now(),
                            "userAgent": "Amazon SES Mailbox Simulator",
                            "complaintFeedbackType": "abuse",
                            "arrivalDate": _now(),
                        },
                    }
                )
    return events


def bounced_or_complained(events: list[dict[str, Any]]) -> dict[str, str]:
    """Addresses SES puts on the account-level suppression list after these events, with
    the list's reason for each (BOUNCE or COMPLAINT, as sesv2 GetSuppressedDestination says)."""
    found: dict[str, str] = {}
    for event in events:
        if event["eventType"] == "Bounce" and event["bounce"]["bounceType"] == "Permanent":
            if event["bounce"]["bounceSubType"] != "OnAccountSuppressionList":
                found.update(
                    (r["emailAddress"].lower(), "BOUNCE") for r in event["bounce"]["bouncedRecipients"]
                )
        elif event["eventType"] == "Complaint":
            found.update(
                (r["emailAddress"].lower(), "COMPLAINT") for r in event["complaint"]["complainedRecipients"]
            )
    return found


def out_of_office_reply(sent: SentMail) -> bytes | None:
    """The auto-reply an `ooto@` recipient sends back to the sender, if one was addressed."""
    ooto = [r for r in sent.destinations if simulator_kind(r) == "ooto"]
    reply_to = sent.message.get("Reply-To") or sent.message.get("From") or sent.source
    if not ooto:
        return None
    original_id = str(sent.message.get("Message-ID", ""))
    lines = [
        f"From: {ooto[0]}",
        f"To: {reply_to}",
        f"Subject: Out of the office: {sent.message.get('Subject', '')}",
        "Auto-Submitted: auto-replied",
        f"In-Reply-To: {original_id}",
        f"References: {original_id}",
        f"Message-ID: <{uuid.uuid4()}@{SIMULATOR_DOMAIN}>",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "I am out of the office and will reply when I am back.",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
