"""Sending one mail and keeping it: the acknowledgement's words, the hand-over to SES (links
in place of attachments when the mail would be too large), and the sent message stored on its
ticket, with its Message-ID and SES's aliases indexed, and in the send ledger."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain import customer_texts, sla
from chalicelib.domain import outbound_mail as om
from chalicelib.domain.customer_language import from_content_language
from chalicelib.domain.mail import ParsedMail
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.reply_tokens import reply_address
from chalicelib.domain.tickets import (
    Body,
    Direction,
    MessageKind,
    StoredAttachment,
    StoredMessage,
    ThreadSignal,
    Ticket,
    status_after_reply,
)
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import SendRefused
from chalicelib.services.outbound_ports import OutboundPorts
from chalicelib.settings import Settings


def acknowledgement(
    settings: Settings, ports: OutboundPorts, ticket: Ticket, mail: ParsedMail, recipient: str, now: datetime
) -> om.OutgoingMail:
    """The same neutral words for everyone: no display name, no subject, nothing the mail
    said. Whoever writes From: can make us send this to that address, so anything of
    theirs in it (a name with line breaks, a subject "Your account is locked: call ...")
    would go out from our domain, DKIM-signed by SES: a phishing relay. A cleaned,
    shortened subject can still carry a phone number or a lure, so none is quoted.

    The language is the mail's Content-Language when it names one of ours, else the desk's
    default: the header only picks one of our fixed texts (domain/customer_texts.py)."""
    language = from_content_language(mail.header("content-language"), settings.default_language)
    team = customer_texts.team_name(ticket.mailbox, language)
    return om.OutgoingMail(
        ticket_id=ticket.id,
        from_address=mailbox_address(settings, ticket.mailbox),
        from_name=team,
        to=(recipient,),
        reply_to=reply_to(settings, ports, ticket),
        subject=customer_texts.acknowledgement_subject(ticket.id, language),
        text=customer_texts.acknowledgement_text(ticket.id, team, language),
        language=language,
        message_id=om.new_message_id(settings.domain, ticket.id),
        in_reply_to=mail.message_id,
        references=om.thread_ids([*mail.references, mail.message_id]),
        automatic=True,
        date=now,
    )


def hand_over(
    settings: Settings,
    ports: OutboundPorts,
    outgoing: om.OutgoingMail,
    stored: tuple[StoredAttachment, ...] = (),
) -> str:
    """Build the MIME (links instead of attachments when too large) and send it."""
    raw = om.build_mime(outgoing)
    limit = settings.max_send_bytes
    if len(raw) > limit and stored:
        links = tuple(om.DownloadLink(a.filename, ports.presign(a), a.size) for a in stored)
        outgoing = replace(outgoing, attachments=(), links=links)
        raw = om.build_mime(outgoing)
    if len(raw) > limit:
        raise SendRefused(f"the message is {len(raw)} bytes; SES accepts {limit}", RefusalReason.TOO_LARGE)
    return ports.sender.send_raw(raw, outgoing.from_address, list(outgoing.recipients))


def store_sent(
    settings: Settings,
    ports: OutboundPorts,
    ticket: Ticket,
    outgoing: om.OutgoingMail,
    kind: MessageKind,
    ses_id: str,
    agent: str,
    attachments: tuple[StoredAttachment, ...],
    warning: str,
    now: datetime,
    key: str = "",
) -> StoredMessage:
    """Store what was sent on `ticket`; a staff reply moves its status on too."""
    key = key or f"out-{ses_id}"
    text, html = outgoing.text, outgoing.html
    body = Body(text=text, html=html)
    if len(text.encode()) + len(html.encode()) > settings.inline_body_limit:
        pointer = f"bodies/{ticket.id}/{key}.json"
        ports.store.put_body(pointer, {"text": text, "html": html, "reply_text": ""})
        body = Body(text=text[:2000], pointer=pointer)
    message = StoredMessage(
        ticket_id=ticket.id,
        key=key,
        direction=Direction.OUTBOUND,
        kind=kind,
        sender=outgoing.from_address,
        sender_name=agent or outgoing.from_name,
        to=outgoing.to,
        cc=outgoing.cc,
        subject=outgoing.subject,
        message_id=outgoing.message_id,
        received_at=iso_millis(now),
        thread_signal=ThreadSignal.NEW,
        body=body,
        reason=warning,
        attachments=attachments,
    )
    region = settings.region
    aliases = (f"<{ses_id}@email.amazonses.com>", f"<{ses_id}@{region}.amazonses.com>")
    moved = (ticket, status_after_reply(ticket.status)) if kind == MessageKind.STAFF else None
    answered = None  # the first staff reply stops the first-response clock (domain/sla.py)
    if kind == MessageKind.STAFF and not ticket.sla.first_response_at:
        answered = replace(ticket, sla=sla.answered(ticket.sla, message.received_at))
    ports.tickets.record_outbound(ticket.mailbox, message, aliases, ses_id, moved, answered)
    ids = (outgoing.message_id, *aliases)
    ports.send_ledger.record_sent(outgoing.recipients, ids, message.received_at, int(now.timestamp()))
    return message


def mailbox_address(settings: Settings, mailbox: str) -> str:
    for address, name in settings.mailboxes.items():
        if name == mailbox:
            return address
    return f"{mailbox}@{settings.domain}"


def team_name(mailbox: str, agent_name: str = "") -> str:
    """ "Support team", or with the agent's display name "Ana at Support team"."""
    team = customer_texts.team_name(mailbox)
    return f"{agent_name} at {team}" if agent_name else team


def reply_to(settings: Settings, ports: OutboundPorts, ticket: Ticket) -> str:
    secret = ports.reply_secrets()[0]
    return reply_address(secret, mailbox_address(settings, ticket.mailbox), ticket.id, ticket.token_nonce)
