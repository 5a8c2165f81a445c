"""The mail bucket: raw messages, attachments, large bodies (storage contract in DESIGN.md)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import is_not_found
from chalicelib.errors import RawMailMissing

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def archive_key(ses_message_id: str, received_at: str) -> str:
    """`archive/<yyyy>/<mm>/<dd>/<id>.eml`, dated by SES's receipt timestamp."""
    day = received_at[:10] if len(received_at) >= 10 else "0000-00-00"
    yyyy, mm, dd = day.split("-") if day.count("-") == 2 else ("0000", "00", "00")
    return f"archive/{yyyy}/{mm}/{dd}/{ses_message_id}.eml"


def _ascii_metadata(value: str) -> str:
    # S3 user metadata travels as HTTP headers: non-ASCII must be encoded.
    return quote(value, safe=" !#$&'()*+,-./:;=?@[]^_`{|}~")[:1024]


class S3MailStore:
    def __init__(self, client: "S3Client", bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def get_raw(self, bucket: str, key: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if is_not_found(exc):
                raise RawMailMissing(f"s3://{bucket}/{key} does not exist") from exc
            raise

    def get_raw_within(self, bucket: str, key: str, limit: int) -> tuple[int, bytes | None]:
        """The raw mail's size and, when it is at most `limit` bytes, its bytes: one GetObject.

        GetObject answers with the object's Content-Length before the body is
        read, so an oversize mail costs no HeadObject and is never downloaded: its
        body stream is closed unread.
        """
        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if is_not_found(exc):
                raise RawMailMissing(f"s3://{bucket}/{key} does not exist") from exc
            raise
        size = int(response["ContentLength"])
        if size > limit:
            response["Body"].close()
            return size, None
        return size, response["Body"].read()

    def raw_size(self, bucket: str, key: str) -> int | None:
        try:
            return int(self._s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    def put_incoming(self, ses_message_id: str, raw: bytes) -> str:
        key = f"incoming/{ses_message_id}"
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=raw)
        return key

    def _move(self, bucket: str, key: str, target: str, metadata: dict[str, str] | None = None) -> None:
        """Copy then delete. Idempotent: a source already moved is not an error; RawMailMissing
        when neither the source nor the target is there."""
        extra: dict[str, Any] = {}
        if metadata is not None:
            extra = {"Metadata": metadata, "MetadataDirective": "REPLACE"}
        try:
            self._s3.copy_object(
                Bucket=self.bucket, Key=target, CopySource={"Bucket": bucket, "Key": key}, **extra
            )
        except ClientError as exc:
            if not is_not_found(exc):
                raise
            if self.exists(target):
                return
            raise RawMailMissing(f"s3://{bucket}/{key} does not exist") from exc
        self._s3.delete_object(Bucket=bucket, Key=key)

    def archive_key(self, ses_message_id: str, received_at: str) -> str:
        return archive_key(ses_message_id, received_at)

    def archive(self, bucket: str, key: str, ses_message_id: str, received_at: str) -> str:
        target = archive_key(ses_message_id, received_at)
        self._move(bucket, key, target)
        return target

    def quarantine(self, bucket: str, key: str, ses_message_id: str, reason: str, detail: str) -> str:
        target = f"quarantine/{reason}/{ses_message_id}"
        self._move(bucket, key, target, {"reason": _ascii_metadata(detail), "source-key": key})
        return target

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def list_incoming(self) -> list[tuple[str, datetime]]:
        """Keys under incoming/ with their LastModified (what the sweeper looks at)."""
        found: list[tuple[str, datetime]] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="incoming/"
        ):
            found.extend((obj["Key"], obj["LastModified"]) for obj in page.get("Contents", []))
        return found

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as exc:
            if is_not_found(exc):
                return False
            raise

    def put_attachment(self, key: str, payload: bytes | IO[bytes], content_type: str, filename: str) -> None:
        """From bytes, or from a file that botocore reads in blocks (never whole into memory)."""
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=payload,
            ContentType=content_type or "application/octet-stream",
            Metadata={"original-filename": _ascii_metadata(filename)},
        )

    def put_body(self, key: str, body: dict[str, str]) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            ContentType="application/json; charset=utf-8",
        )

    def get_body(self, key: str) -> dict[str, str]:
        return json.loads(self.get_raw(self.bucket, key))
