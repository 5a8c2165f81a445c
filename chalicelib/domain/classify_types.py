"""Shared result types of classification (kept apart so the bounce detector can build them)."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.frozen import frozen
from chalicelib.domain.notes import Note


class MailKind(StrEnum):
    """What kind of mail a received message is, decided before any ticket work."""

    NORMAL = "normal"
    SPAM = "spam"
    VIRUS = "virus"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"


@frozen
class BounceReport:
    """A delivery status notification or non-standard bounce, as recognised."""

    recipients: tuple[str, ...]
    permanent: bool
    reason: str
    # The Message-IDs of the mail it reports on (its returned headers, In-Reply-To,
    # References): only these can show that the report is about a message we sent.
    message_ids: tuple[str, ...] = ()
    complaint: bool = False


@frozen
class Classification:
    """What kind of mail this is, decided before any ticket work, and why."""

    kind: MailKind
    reason: str = ""
    # an automatic mail's reason with its code (domain/notes.py): the console says it in
    # the agent's language on the message and the suspended list
    reason_note: Note | None = None
    failed_recipients: tuple[str, ...] = ()
    permanent: bool = False
    referenced_ids: tuple[str, ...] = ()  # bounces: see BounceReport.message_ids
    complaint: bool = False
