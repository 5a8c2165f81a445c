"""What reply attachments need: a presigned POST form for the browser, and the uploaded
object read back at send time (adapters/s3_uploads.py; tests/fakes/uploads.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.frozen import frozen

if TYPE_CHECKING:
    from chalicelib.domain.reply_uploads import PlannedUpload


@frozen
class UploadForm:
    """Where the browser POSTs the file, and the form fields that go before it."""

    url: str
    fields: Mapping[str, str]


@frozen
class StoredUpload:
    """An uploaded object as S3 holds it: its type as stored, its size and its bytes."""

    key: str
    content_type: str
    size: int
    payload: bytes


class UploadStore(Protocol):
    def upload_form(self, planned: PlannedUpload, expires: int) -> UploadForm:
        """A POST form good for `expires` seconds, for `planned.key` and nothing else."""
        ...

    def read_upload(self, key: str, max_bytes: int) -> StoredUpload | None:
        """The object (None when nothing was uploaded there); at most `max_bytes` + 1 of
        its bytes are read, so an object larger than allowed is seen, not loaded."""
        ...
