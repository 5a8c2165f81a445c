"""Short-lived presigned links to stored attachments.

S3 answers a presigned GET with the Content-Disposition and Content-Type the link asks
for, so the link decides how a browser treats the file: risky files always download
as `application/octet-stream`; only images and PDFs whose bytes match a safe type may
be shown inline. Signing is local: no request reaches S3 until someone follows a link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from chalicelib.domain.tickets import StoredAttachment

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from chalicelib.services.ports.records import Disposition

LINK_SECONDS = 300
SAFE_INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def shows_inline(attachment: StoredAttachment) -> bool:
    return not attachment.risky and attachment.sniffed_type in SAFE_INLINE_TYPES


def content_disposition(disposition: str, filename: str, fallback: str) -> str:
    """RFC 6266: an ASCII fallback name plus the UTF-8 name (RFC 5987) browsers prefer.

    Both must be safe names: a browser saves under `filename*`, so the sender's original
    (`../../x`, control characters, a bidi override disguising `.exe` as `.pdf`) never
    goes there; staff see the original in the console.
    """
    ascii_name = fallback.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "download"
    return (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename or fallback, safe='')}"
    )


class S3DownloadLinks:
    def __init__(self, client: "S3Client", bucket: str, expires: int = LINK_SECONDS) -> None:
        self._s3 = client
        self.bucket = bucket
        self.expires = expires

    def link(self, attachment: StoredAttachment) -> tuple[str, Disposition]:
        """(url, disposition) for one attachment."""
        inline = shows_inline(attachment)
        disposition: Disposition = "inline" if inline else "attachment"
        content_type = attachment.sniffed_type if inline else "application/octet-stream"
        url = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": attachment.key,
                "ResponseContentDisposition": content_disposition(
                    disposition, attachment.safe_name, attachment.safe_name
                ),
                "ResponseContentType": content_type,
            },
            ExpiresIn=self.expires,
        )
        return url, disposition
