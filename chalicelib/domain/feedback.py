"""SES sending feedback, read into one event per recipient, each with what to do about it.

Standard library only. Two shapes carry the same facts: identity notifications
(`notificationType`: Bounce, Complaint, Delivery) and configuration-set event
publishing (`eventType`: also Send, Reject, DeliveryDelay, Open, Click, ...). Either
may arrive raw or inside an SNS envelope. Unknown fields are ignored, and so are
event types that say nothing about deliverability (Subscription, Rendering Failure), and
Open and Click of any mail but an announcement (only the announcements' configuration set
tracks them); a record that is not JSON, or names a Bounce without recipients, is
malformed (`BadNotification`).

Actions (see `_bounce_action`, `_complaint` and `_delay` for the rules):

| action             | what the service does                                         |
| ------------------ | ------------------------------------------------------------- |
| suppress           | add to the suppression list (BOUNCE or COMPLAINT), permanently |
| soft               | count for the recipient; suppress for a while after N in a window |
| account_suppressed | SES refused because of its account-level list: note it for a while |
| count / record     | reputation counters only                                      |

Each event has a `key`: a bounce or complaint is keyed on its feedback id (shared
by both shapes, so an identity notification and the same configuration-set event
count once), the others on the kind, the SES message id and the recipient. So a
message SES reports as delayed several times counts as one soft failure.

What a reading yields (the event, its kind and action, and how its time and address
are read) is in `feedback_events`; the suppression list's own words (an entry, its audit
trail, soft bounces) are in `suppression`. The readers of both shapes and the action rules
above stay here: they are one reading of one record, top to bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from chalicelib.domain.feedback_events import FeedbackAction, FeedbackEvent, FeedbackKind, normalise_address
from chalicelib.domain.sns_envelope import unwrap
from chalicelib.domain.suppression import SuppressionReason
from chalicelib.errors import BadNotification

# Transient bounce subtypes that say the mailbox, not the message, has a problem.
# "General" is left out on purpose: SES files out-of-office auto-replies as
# Transient/General and leaves them out of its own bounce rate. MessageTooLarge,
# ContentRejected and AttachmentRejected are about the message we sent.
SOFT_BOUNCE_SUBTYPES = frozenset({"MailboxFull"})
# DeliveryDelay types caused by the recipient's side. InternalFailure, SendingDeferral,
# IPFailure and BYOIP... are SES's own or our sending IPs' problems.
SOFT_DELAY_TYPES = frozenset(
    {
        "MailboxFull",
        "RecipientServerError",
        "TransientCommunicationFailure",
        "SpamDetected",
        "Undetermined",
        "General",
    }
)
IGNORED_TYPES = frozenset({"Rendering Failure", "Subscription", "Received", "AmazonSnsSubscriptionSucceeded"})


Reader = Callable[[dict[str, Any], dict[str, Any]], list[FeedbackEvent]]


def parse(body: Any) -> list[FeedbackEvent]:
    """Every per-recipient event in one queue record; [] for types we do not act on."""
    note = unwrap(body)
    if "Type" in note and "notificationType" not in note and "eventType" not in note:
        return []  # an SNS SubscriptionConfirmation or similar: nothing about mail
    kind = str(note.get("notificationType") or note.get("eventType") or "")
    if not kind:
        if isinstance(note.get("Records"), list):
            return []  # another service's event (S3, SQS, SES receiving Lambda action)
        raise BadNotification("record has neither notificationType nor eventType")
    if kind in IGNORED_TYPES or kind not in _READERS:
        return []
    mail = note.get("mail")
    if not isinstance(mail, dict):
        raise BadNotification(f"{kind} notification has no mail object")
    return _READERS[kind](note, mail)


def _part(note: dict[str, Any], name: str, kind: str) -> dict[str, Any]:
    part = note.get(name)
    if not isinstance(part, dict):
        raise BadNotification(f"{kind} notification has no {name} object")
    return part


def _recipient_list(part: dict[str, Any], field: str, kind: str) -> list[dict[str, Any]]:
    found = part.get(field)
    if not isinstance(found, list) or not found:
        raise BadNotification(f"{kind} notification has no {field}")
    entries = [r if isinstance(r, dict) else {"emailAddress": r} for r in found]
    usable = [r for r in entries if normalise_address(r.get("emailAddress"))]
    if not usable:
        raise BadNotification(f"{kind} notification names no usable address in {field}")
    return usable


class _Base(TypedDict):
    """The fields every event of one notification shares."""

    kind: FeedbackKind
    at: str
    ses_message_id: str
    configuration_set: str
    announcement: str


def _base(kind: FeedbackKind, mail: dict[str, Any], part: dict[str, Any]) -> _Base:
    tags, headers = mail.get("tags"), mail.get("headers")
    sets = tags.get("ses:configuration-set") if isinstance(tags, dict) else None
    announced = [
        str(h.get("value") or "")
        for h in (headers if isinstance(headers, list) else [])
        if isinstance(h, dict) and str(h.get("name") or "").lower() == "x-inbound-announcement"
    ]
    return {
        "kind": kind,
        "at": str(part.get("timestamp") or mail.get("timestamp") or ""),
        "ses_message_id": str(mail.get("messageId") or ""),
        "configuration_set": str(sets[0]) if isinstance(sets, list) and sets else "",
        "announcement": announced[0][:64] if announced else "",
    }


def _bounce_action(bounce_type: str, subtype: str, recipient: dict[str, Any]) -> tuple[FeedbackAction, str]:
    """(action, counter) for one bounced recipient."""
    action = str(recipient.get("action") or "").lower()
    status = str(recipient.get("status") or "")
    if bounce_type == "Permanent" and subtype == "OnAccountSuppressionList":
        return FeedbackAction.ACCOUNT_SUPPRESSED, "account_suppressed"
    if bounce_type == "Permanent" and action != "delayed" and not status.startswith("4."):
        return FeedbackAction.SUPPRESS, "bounces"
    if bounce_type == "Permanent" or bounce_type == "Undetermined" or subtype in SOFT_BOUNCE_SUBTYPES:
        return FeedbackAction.SOFT, "soft_bounces"  # includes a recipient a permanent bounce lists as delayed
    return FeedbackAction.RECORD, "ignored_bounces"


def _bounce(note: dict[str, Any], mail: dict[str, Any]) -> list[FeedbackEvent]:
    bounce = _part(note, "bounce", "Bounce")
    bounce_type, subtype = str(bounce.get("bounceType") or ""), str(bounce.get("bounceSubType") or "")
    base = _base(FeedbackKind.BOUNCE, mail, bounce)
    feedback_id = str(bounce.get("feedbackId") or f"{base['ses_message_id']}#{base['at']}")
    events = []
    for entry in _recipient_list(bounce, "bouncedRecipients", "Bounce"):
        address = normalise_address(entry.get("emailAddress"))
        action, counter = _bounce_action(bounce_type, subtype, entry)
        events.append(
            FeedbackEvent(
                key=f"bounce#{feedback_id}#{address}",
                action=action,
                counter=counter,
                recipient=address,
                feedback_id=feedback_id,
                reason=SuppressionReason.BOUNCE,
                bounce_type=bounce_type,
                subtype=subtype,
                status=str(entry.get("status") or ""),
                diagnostic=str(entry.get("diagnosticCode") or "")[:1000],
                **base,
            )
        )
    return events


def _complaint(note: dict[str, Any], mail: dict[str, Any]) -> list[FeedbackEvent]:
    complaint = _part(note, "complaint", "Complaint")
    base = _base(FeedbackKind.COMPLAINT, mail, complaint)
    feedback_id = str(complaint.get("feedbackId") or f"{base['ses_message_id']}#{base['at']}")
    subtype = str(complaint.get("complaintSubType") or "")
    feedback_type = str(complaint.get("complaintFeedbackType") or "")
    if subtype == "OnAccountSuppressionList":
        action, counter = FeedbackAction.ACCOUNT_SUPPRESSED, "account_suppressed"
    elif feedback_type == "not-spam":  # the reporter says it is NOT abuse (RFC 5965)
        action, counter = FeedbackAction.RECORD, ""
    else:
        action, counter = FeedbackAction.SUPPRESS, "complaints"
    return [
        FeedbackEvent(
            key=f"complaint#{feedback_id}#{address}",
            action=action,
            counter=counter,
            recipient=address,
            feedback_id=feedback_id,
            reason=SuppressionReason.COMPLAINT,
            subtype=subtype or feedback_type,
            **base,
        )
        for address in (
            normalise_address(r.get("emailAddress"))
            for r in _recipient_list(complaint, "complainedRecipients", "Complaint")
        )
    ]


def _delay(note: dict[str, Any], mail: dict[str, Any]) -> list[FeedbackEvent]:
    delay = _part(note, "deliveryDelay", "DeliveryDelay")
    base = _base(FeedbackKind.DELAY, mail, delay)
    delay_type = str(delay.get("delayType") or "")
    soft = delay_type in SOFT_DELAY_TYPES
    return [
        FeedbackEvent(
            key=f"delay#{base['ses_message_id']}#{normalise_address(r.get('emailAddress'))}",
            action=FeedbackAction.SOFT if soft else FeedbackAction.RECORD,
            counter="soft_bounces" if soft else "",
            recipient=normalise_address(r.get("emailAddress")),
            subtype=delay_type,
            status=str(r.get("status") or ""),
            diagnostic=str(r.get("diagnosticCode") or "")[:1000],
            **base,
        )
        for r in _recipient_list(delay, "delayedRecipients", "DeliveryDelay")
    ]


def _counted(kind: FeedbackKind, part_name: str, field: str, counter: str) -> Reader:
    """Send, Delivery and Reject: one counted event per recipient."""

    def read(note: dict[str, Any], mail: dict[str, Any]) -> list[FeedbackEvent]:
        found = note.get(part_name)
        part: dict[str, Any] = found if isinstance(found, dict) else {}
        source = part if field in part else mail
        base = _base(kind, mail, part if "timestamp" in part else mail)
        if not base["ses_message_id"]:
            raise BadNotification(f"{kind} notification has no mail.messageId")
        addresses = [normalise_address(r) for r in (source.get(field) or [])]
        if not any(addresses):
            raise BadNotification(f"{kind} notification names no recipient")
        return [
            FeedbackEvent(
                key=f"{kind}#{base['ses_message_id']}#{address}",
                action=FeedbackAction.COUNT,
                counter=counter,
                recipient=address,
                **base,
            )
            for address in dict.fromkeys(a for a in addresses if a)
        ]

    return read


def _engaged(kind: FeedbackKind) -> Reader:
    """Open and Click of an announcement: one event per recipient, keyed on its moment (SES
    publishes one per open or click; SNS may deliver any of them twice). `diagnostic` holds
    the clicked link. Nothing to record (no announcement, no recipient) is not malformed."""

    def read(note: dict[str, Any], mail: dict[str, Any]) -> list[FeedbackEvent]:
        found = note.get(kind.value)
        part: dict[str, Any] = found if isinstance(found, dict) else {}
        base = _base(kind, mail, part if "timestamp" in part else mail)
        if not base["announcement"] or not base["ses_message_id"]:
            return []
        link = str(part.get("link") or "")[:1000]
        addresses = dict.fromkeys(a for a in map(normalise_address, mail.get("destination") or []) if a)
        return [
            FeedbackEvent(
                key=f"{kind}#{base['ses_message_id']}#{address}#{base['at']}#{link}",
                action=FeedbackAction.RECORD,
                counter="",
                recipient=address,
                diagnostic=link,
                **base,
            )
            for address in addresses
        ]

    return read


_READERS = {
    "Open": _engaged(FeedbackKind.OPEN),
    "Click": _engaged(FeedbackKind.CLICK),
    "Bounce": _bounce,
    "Complaint": _complaint,
    "DeliveryDelay": _delay,
    "Delivery": _counted(FeedbackKind.DELIVERY, "delivery", "recipients", "deliveries"),
    "Send": _counted(FeedbackKind.SEND, "send", "destination", "sends"),
    "Reject": _counted(FeedbackKind.REJECT, "reject", "destination", "rejects"),
}
