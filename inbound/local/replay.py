"""Running .eml files through the real pipeline, as SES would have delivered them."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.adapters.s3_mail_store import S3MailStore
from chalicelib.domain.mail import ReceivedMail
from chalicelib.domain.outcome import Outcome, OutcomeKind
from chalicelib.services.ingest import IngestService
from chalicelib.services.notifications import Delivery

log = logging.getLogger("inbound.replay")

ATTEMPTS = 3  # as the ingest queue's redrive policy would retry before the DLQ


def local_message_id(raw: bytes) -> str:
    """An SES-like message id; the same bytes are the same delivery."""
    return "local" + hashlib.sha256(raw).hexdigest()[:35]


def eml_files(paths: list[str]) -> Iterator[Path]:
    """Files named, and every regular file below folders named, in a stable order."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


@dataclass
class Replayer:
    ingest: IngestService
    store: S3MailStore

    def process_bytes(self, raw: bytes, recipients: tuple[str, ...] = ()) -> Outcome:
        ses_id = local_message_id(raw)
        key = f"incoming/{ses_id}"
        received = ReceivedMail(
            ses_message_id=ses_id,
            bucket=self.store.bucket,
            key=key,
            recipients=recipients,
            received_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        )
        if not self.store.exists(key) and self.ingest.ports.deliveries.get_delivery(ses_id) is None:
            self.store.put_incoming(ses_id, raw)
        last: Exception | None = None
        for _ in range(ATTEMPTS):
            try:
                return self.ingest.ingest(Delivery(received=received))
            # Replay's outermost boundary: the same retry-then-quarantine that the
            # queue and its dead-letter handling give a deployed stack.
            except Exception as exc:  # noqa: BLE001
                log.exception("ingest of %s failed", ses_id)
                last = exc
        detail = f"failed after {ATTEMPTS} attempts: {type(last).__name__}: {last}"
        if self.store.exists(key):
            self.store.quarantine(self.store.bucket, key, ses_id, "failed", detail)
        return Outcome(outcome=OutcomeKind.QUARANTINED, ses_message_id=ses_id, reason=f"failed: {detail}")
