"""Download links in outgoing mail that outlive the credentials that sign S3 URLs.

`url` is what mail carries (the stage's `/files/<token>`, good for the promised lifetime);
`redirect` is what that route answers: a fresh presigned GET of a few minutes, or None.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain import file_links
from chalicelib.domain.tickets import StoredAttachment
from chalicelib.services.ports.tickets import DownloadLinks


class FileLinks:
    def __init__(
        self,
        public_url: Callable[[], str],
        secrets: Callable[[], tuple[bytes, ...]],
        links: DownloadLinks,
        clock: Callable[[], float],
        lifetime: int,
    ) -> None:
        self.public_url = public_url  # raises PublicUrlMissing where the stage has none
        self.secrets = secrets
        self.links = links
        self.clock = clock
        self.lifetime = lifetime

    def url(self, attachment: StoredAttachment) -> str:
        claim = file_links.FileClaim(
            attachment.key,
            attachment.safe_name,
            attachment.sniffed_type,
            attachment.risky,
            int(self.clock()) + self.lifetime,
        )
        return f"{self.public_url()}/files/{file_links.sign(self.secrets()[0], claim)}"

    def redirect(self, token: str) -> str | None:
        """A short presigned URL for the object the token names, or None (forged, expired)."""
        claim = file_links.verify(token, self.secrets(), self.clock())
        if claim is None:
            return None
        attachment = StoredAttachment(
            index=0,
            filename=claim.safe_name,
            safe_name=claim.safe_name,
            key=claim.key,
            declared_type="",
            sniffed_type=claim.sniffed_type,
            size=0,
            sha256="",
            risky=claim.risky,
        )
        return self.links.link(attachment)[0]
