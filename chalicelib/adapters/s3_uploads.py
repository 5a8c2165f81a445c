"""Reply attachments in the mail bucket: presigned POST forms and the uploads read back.

S3 checks a POST against the policy signed here (AWS S3 API, "POST Policy"): every form
field but the file, `policy` and `x-amz-signature` must be named by a condition, the
policy expires, and `content-length-range` bounds the file's bytes. botocore adds the
bucket, the exact key, the algorithm, credential, date and any session token; this module
adds the Content-Type, the per-upload key prefix and the size range. Signing is local: no
request reaches S3 until the browser posts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code, is_not_found
from chalicelib.services.ports.uploads import StoredUpload, UploadForm

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from chalicelib.domain.reply_uploads import PlannedUpload


class S3Uploads:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def upload_form(self, planned: PlannedUpload, expires: int) -> UploadForm:
        post = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=planned.key,
            Fields={"Content-Type": planned.content_type},
            Conditions=[
                {"Content-Type": planned.content_type},
                ["starts-with", "$key", planned.prefix],
                ["content-length-range", 1, planned.max_bytes],
            ],
            ExpiresIn=expires,
        )
        return UploadForm(url=str(post["url"]), fields={k: str(v) for k, v in post["fields"].items()})

    def read_upload(self, key: str, max_bytes: int) -> StoredUpload | None:
        try:
            # One byte over the limit is enough to know it is too large.
            got = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{max_bytes}")
        except ClientError as exc:
            if is_not_found(exc):
                return None
            if error_code(exc) == "InvalidRange":  # an empty object has no byte 0
                return StoredUpload(key, "", 0, b"")
            raise
        payload = got["Body"].read()
        size = int(str(got.get("ContentRange", "")).rpartition("/")[2] or len(payload))
        return StoredUpload(key, str(got.get("ContentType", "")), size, payload)
