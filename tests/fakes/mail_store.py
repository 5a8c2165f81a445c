"""An in-memory mail bucket (ports.MailStore): the same keys as the S3 adapter
(DESIGN.md's storage contract), held to it by tests/contracts/test_mail_store_contract.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from chalicelib.adapters.s3_mail_store import archive_key
from chalicelib.errors import RawMailMissing


@dataclass
class StoredObject:
    body: bytes
    modified: datetime
    metadata: dict[str, str] = field(default_factory=dict)
    content_type: str = ""


@dataclass
class FakeMailStore:
    bucket: str = "mail"
    objects: dict[str, StoredObject] = field(default_factory=dict)
    clock: datetime = field(default_factory=lambda: datetime.now(UTC))

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def exists(self, key: str) -> bool:
        return key in self.objects

    def get_raw(self, bucket: str, key: str) -> bytes:
        if key not in self.objects:
            raise RawMailMissing(f"s3://{bucket}/{key} does not exist")
        return self.objects[key].body

    def get_raw_within(self, bucket: str, key: str, limit: int) -> tuple[int, bytes | None]:
        raw = self.get_raw(bucket, key)
        return len(raw), (raw if len(raw) <= limit else None)

    def put_incoming(self, ses_message_id: str, raw: bytes) -> str:
        key = f"incoming/{ses_message_id}"
        self.objects[key] = StoredObject(raw, self.clock)
        return key

    def archive_key(self, ses_message_id: str, received_at: str) -> str:
        return archive_key(ses_message_id, received_at)

    def archive(self, bucket: str, key: str, ses_message_id: str, received_at: str) -> str:
        target = archive_key(ses_message_id, received_at)
        self._move(bucket, key, target)
        return target

    def quarantine(self, bucket: str, key: str, ses_message_id: str, reason: str, detail: str) -> str:
        target = f"quarantine/{reason}/{ses_message_id}"
        self._move(bucket, key, target, {"reason": detail, "source-key": key})
        return target

    def _move(self, bucket: str, key: str, target: str, metadata: dict[str, str] | None = None) -> None:
        """Idempotent, as the adapter's copy-then-delete: a source already moved is no error."""
        if key not in self.objects:
            if target in self.objects:
                return
            raise RawMailMissing(f"s3://{bucket}/{key} does not exist")
        moved = self.objects.pop(key)
        self.objects[target] = StoredObject(moved.body, self.clock, metadata or {}, moved.content_type)

    def list_incoming(self) -> list[tuple[str, datetime]]:
        return [(k, self.objects[k].modified) for k in self.keys("incoming/")]

    def put_attachment(self, key: str, payload: bytes | IO[bytes], content_type: str, filename: str) -> None:
        body = payload if isinstance(payload, bytes) else payload.read()
        metadata = {"original-filename": filename}
        self.objects[key] = StoredObject(
            body, self.clock, metadata, content_type or "application/octet-stream"
        )

    def put_body(self, key: str, body: dict[str, str]) -> None:
        self.objects[key] = StoredObject(json.dumps(body).encode(), self.clock, {}, "application/json")

    def get_body(self, key: str) -> dict[str, str]:
        found: dict[str, str] = json.loads(self.get_raw(self.bucket, key))
        return found
