"""`quarantine/failed/` in the mail bucket, as the re-drive sees it: list, copy back, discard.

Only the `failed` reason is re-drivable: the others (spam, virus, oversize, unparseable,
no-sender) are verdicts of the pipeline, not failures of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import is_not_found
from chalicelib.services.ports.records import QuarantinedMail

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

FAILED_PREFIX = "quarantine/failed/"


def _incoming_key(mail: QuarantinedMail) -> str:
    """Where SES stored it: the quarantine keeps the id, incoming/ is the S3 action's prefix."""
    return f"incoming/{mail.ses_message_id}"


class S3Quarantine:
    def __init__(self, client: "S3Client", bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def failed(self) -> list[QuarantinedMail]:
        found: list[QuarantinedMail] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=FAILED_PREFIX
        ):
            for obj in page.get("Contents", []):
                ses_id = obj["Key"][len(FAILED_PREFIX) :]
                if ses_id and "/" not in ses_id:
                    found.append(QuarantinedMail(obj["Key"], ses_id))
        return found

    def original_key(self, mail: QuarantinedMail) -> str:
        """The key it was quarantined from (metadata `source-key`), when that is under incoming/."""
        try:
            metadata = self._s3.head_object(Bucket=self.bucket, Key=mail.key).get("Metadata", {})
        except ClientError as exc:
            if is_not_found(exc):
                return _incoming_key(mail)
            raise
        source = metadata.get("source-key", "")
        ok = source.startswith("incoming/") and source.rpartition("/")[2] == mail.ses_message_id
        return source if ok else _incoming_key(mail)

    def copy_back(self, mail: QuarantinedMail, target: str) -> bool:
        """Copy (not move) to `target`; False when the quarantined object is gone already.

        The quarantine's own metadata (reason, source-key) is not carried along: the
        copy is raw mail again, marked with where it came from.
        """
        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=target,
                CopySource={"Bucket": self.bucket, "Key": mail.key},
                Metadata={"redriven-from": mail.key},
                MetadataDirective="REPLACE",
            )
        except ClientError as exc:
            if is_not_found(exc):
                return False
            raise
        return True

    def discard(self, mail: QuarantinedMail) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=mail.key)
