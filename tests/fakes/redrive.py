"""In memory: what the re-drive moves (ports.Quarantine over a fake mail bucket, and
ports.DeadLetters: a queue and its dead-letter queue), held to the S3 and SQS adapters by
tests/contracts/test_redrive_contract.py."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.services.ports.records import DeadLetter, QuarantinedMail
from tests.fakes.mail_store import FakeMailStore, StoredObject

FAILED_PREFIX = "quarantine/failed/"


@dataclass
class FakeQuarantine:
    """quarantine/failed/ of the fake mail bucket it is given."""

    store: FakeMailStore

    @property
    def bucket(self) -> str:
        return self.store.bucket

    def failed(self) -> list[QuarantinedMail]:
        keys = (k for k in self.store.keys(FAILED_PREFIX) if "/" not in k[len(FAILED_PREFIX) :])
        return [QuarantinedMail(k, k[len(FAILED_PREFIX) :]) for k in keys]

    def original_key(self, mail: QuarantinedMail) -> str:
        found = self.store.objects.get(mail.key)
        source = found.metadata.get("source-key", "") if found else ""
        ok = source.startswith("incoming/") and source.rpartition("/")[2] == mail.ses_message_id
        return source if ok else f"incoming/{mail.ses_message_id}"

    def copy_back(self, mail: QuarantinedMail, target: str) -> bool:
        found = self.store.objects.get(mail.key)
        if found is None:
            return False
        metadata = {"redriven-from": mail.key}
        self.store.objects[target] = StoredObject(found.body, self.store.clock, metadata, found.content_type)
        return True

    def discard(self, mail: QuarantinedMail) -> None:
        self.store.objects.pop(mail.key, None)


@dataclass
class FakeDeadLetters:
    """A queue and its dead-letter queue: a received letter stays counted until deleted."""

    name: str = "ingest"
    dead_letter_name: str = "ingest-dlq"
    source: list[DeadLetter] = field(default_factory=list)  # what reached the queue again
    dead: list[DeadLetter] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=itertools.count)

    def put_dead(self, body: str, attributes: dict[str, Any] | None = None) -> None:
        """A message that failed its retries (SQS moves it; a test puts it)."""
        n = next(self._ids)
        self.dead.append(DeadLetter(f"m-{n}", "", body, dict(attributes or {})))

    def waiting(self) -> int:
        return len(self.dead)

    def receive(self) -> list[DeadLetter]:
        got = [d for d in self.dead if d.message_id not in self.in_flight][:10]
        self.in_flight |= {d.message_id for d in got}
        return [replace(d, receipt_handle=f"r-{d.message_id}") for d in got]

    def send_to_source(self, letters: Sequence[DeadLetter]) -> set[str]:
        self.source.extend(letters)
        return {d.message_id for d in letters}

    def delete(self, letters: Sequence[DeadLetter]) -> set[str]:
        gone = {d.message_id for d in letters if d.receipt_handle}
        self.dead = [d for d in self.dead if d.message_id not in gone]
        return gone
