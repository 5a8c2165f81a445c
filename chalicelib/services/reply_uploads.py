"""Attachments on staff replies: the upload form for the console, the uploads checked again
when the reply is sent (domain/reply_uploads.py says what is allowed and why twice)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.domain import reply_uploads as rules
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import Attachment
from chalicelib.errors import InvalidRequest
from chalicelib.services.ports.uploads import UploadStore
from chalicelib.settings import Settings

MAX_FILES = 10  # per reply; each is checked, read and sent, so the list is kept short


@frozen
class UploadOffer:
    """What the console needs to upload one file, and the key to name in the reply."""

    key: str
    filename: str
    content_type: str
    max_bytes: int
    url: str
    fields: dict[str, str]


class ReplyUploads:
    def __init__(self, settings: Settings, store: UploadStore, live_ticket: Callable[[str], Any]) -> None:
        self.settings = settings
        self.store = store
        self.live_ticket = live_ticket  # MergedTicket / TicketNotFound: no upload to a dead ticket

    def offer(self, ticket_id: str, filename: str, content_type: str, size: int) -> UploadOffer:
        """A presigned POST for one file on `ticket_id`'s reply, or UploadRefused (400)."""
        self.live_ticket(ticket_id)
        limit = self.settings.upload_max_bytes
        planned = rules.plan(ticket_id, filename, content_type, size, limit)
        form = self.store.upload_form(planned, self.settings.upload_form_seconds)
        return UploadOffer(
            planned.key, planned.filename, planned.content_type, limit, form.url, dict(form.fields)
        )

    def attachments(self, ticket_id: str, keys: Sequence[str]) -> tuple[Attachment, ...]:
        """The uploads named by `keys`, judged again as S3 holds them; UploadRefused else."""
        if len(keys) > MAX_FILES:
            raise InvalidRequest(f"a reply carries at most {MAX_FILES} files")
        limit = self.settings.upload_max_bytes
        found = []
        for key in dict.fromkeys(keys):
            if rules.ticket_of(key) != ticket_id:
                raise rules.UploadRefused(f"{key!r} is not a file uploaded to {ticket_id}")
            upload = self.store.read_upload(key, limit)
            if upload is None:
                raise rules.UploadRefused(f"{rules.name_of(key)} was not uploaded (or has expired)")
            kind = rules.judge_stored(key, upload.content_type, upload.payload[:512], upload.size, limit)
            found.append(Attachment(rules.name_of(key), kind, upload.payload))
        return tuple(found)
