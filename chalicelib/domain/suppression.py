"""The project's suppression list in domain words: an address on it (`SuppressionEntry`) and
why (`SuppressionReason`), a line of its audit trail (`ListAction`), and an address's soft bounces counted in a window
(`SoftBounces`). Standard library only; what SES reports is read in `feedback`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum

from chalicelib.domain.frozen import frozen


class ListAction(StrEnum):
    """A line of the suppression list's audit trail (services/ports/outbound.ListChange)."""

    REMOVED = "removed"  # an address taken off the list, by whom and why
    IMPORTED = "imported"  # a list of addresses put on it


class SuppressionReason(StrEnum):
    """Why the project put an address on the list (an entry's `reason`). An imported list may
    name its own code (letters and underscores, services/suppression.py), kept as given."""

    BOUNCE = "BOUNCE"  # a permanent bounce
    COMPLAINT = "COMPLAINT"  # the recipient marked our mail as spam
    SOFT_BOUNCE = "SOFT_BOUNCE"  # transient bounces past the limit in their window (expires)
    ACCOUNT_SUPPRESSED = "ACCOUNT_SUPPRESSED"  # SES's account-level list refused the send
    IMPORTED = "IMPORTED"  # an imported address that named no code


@frozen
class SuppressionEntry:
    """One address on the project's suppression list."""

    address: str
    reason: str  # a SuppressionReason, or the code an imported list named
    at: str
    source: str = ""  # ses-feedback | inbound-dsn | import | staff
    subtype: str = ""
    diagnostic: str = ""
    feedback_id: str = ""
    expires_at: int = 0  # epoch seconds; 0: never expires
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "address": self.address,
            "reason": self.reason,
            "at": self.at,
            "source": self.source,
            "subtype": self.subtype,
            "diagnostic": self.diagnostic,
            "feedback_id": self.feedback_id,
            "expires_at": self.expires_at or None,
            "note": self.note,
        }


@frozen
class SoftBounces:
    """An address's soft bounces and delays: their times (epoch seconds, oldest first) and
    the version of the stored item they were read from (0: there was none)."""

    address: str
    times: tuple[int, ...] = ()
    version: int = 0

    def count(self, since: int) -> int:
        """How many happened at `since` or later."""
        return sum(1 for t in self.times if t >= since)

    def adding(self, times: Iterable[int], since: int, keep: int) -> SoftBounces:
        """With `times` added, those before `since` dropped, and only the newest `keep` kept."""
        kept = sorted(t for t in (*self.times, *times) if t >= since)
        return replace(self, times=tuple(kept[-keep:] if keep > 0 else ()))
