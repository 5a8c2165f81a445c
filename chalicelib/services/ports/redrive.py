"""What the operator's re-drive (services/redrive.py) moves: quarantine/failed/ in the mail
bucket (adapters/s3_quarantine.py) and a queue's dead-letter queue (adapters/sqs_redrive.py);
in memory in tests/fakes/redrive.py, held to both by tests/contracts/test_redrive_contract.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.services.ports.records import DeadLetter, QuarantinedMail


class Quarantine(Protocol):
    """quarantine/failed/ as the re-drive sees it."""

    bucket: str

    def failed(self) -> list[QuarantinedMail]: ...
    def original_key(self, mail: QuarantinedMail) -> str: ...
    def copy_back(self, mail: QuarantinedMail, target: str) -> bool: ...
    def discard(self, mail: QuarantinedMail) -> None: ...


class DeadLetters(Protocol):
    """One queue's dead-letter queue, moved back to it."""

    @property
    def name(self) -> str: ...
    @property
    def dead_letter_name(self) -> str: ...
    def waiting(self) -> int: ...
    def receive(self) -> list[DeadLetter]: ...
    def send_to_source(self, letters: Sequence[DeadLetter]) -> set[str]: ...
    def delete(self, letters: Sequence[DeadLetter]) -> set[str]: ...
