"""In memory: announcements, their recipients' states and the opt-outs.

The same promises as dynamodb_announcements (tests/contracts hold it to them): a
recipient's state moves only from the states a move names; the first opt-out is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from chalicelib.domain.announcements import (
    MARKS_KEPT,
    Announcement,
    AnnouncementState,
    Recipient,
    RecipientState,
)


@dataclass
class FakeAnnouncementStore:
    announcements: dict[str, Announcement] = field(default_factory=dict)
    audience: dict[str, dict[str, Recipient]] = field(default_factory=dict)
    opt_outs: dict[str, tuple[str, str]] = field(default_factory=dict)  # address -> at, source
    marks: dict[tuple[str, str, bool], set[str]] = field(default_factory=dict)  # (id, address, clicked)

    def create(self, announcement: Announcement, recipients: Iterable[Recipient]) -> None:
        assert announcement.id not in self.announcements, "ids are new: the adapter refuses a second"
        self.announcements[announcement.id] = replace(announcement, counts={})
        self.audience[announcement.id] = {r.address: r for r in recipients}

    def get(self, announcement_id: str) -> Announcement | None:
        return self.announcements.get(announcement_id)

    def set_state(
        self, announcement_id: str, state: AnnouncementState, started_by: str | None = None
    ) -> None:
        was = self.announcements[announcement_id]
        self.announcements[announcement_id] = replace(
            was,
            state=state,
            started_by=was.started_by if started_by is None else started_by,
            stopped_reason="",
        )

    def stop(self, announcement_id: str, started_by: str, reason: str) -> bool:
        was = self.announcements.get(announcement_id)
        if was is None or was.started_by != started_by:
            return False
        self.announcements[announcement_id] = replace(
            was, state=AnnouncementState.STOPPED, stopped_reason=reason
        )
        return True

    def listed(self, limit: int = 50) -> list[str]:
        newest = sorted(self.announcements.values(), key=lambda a: (a.created_at, a.id), reverse=True)
        return [a.id for a in newest[:limit]]

    def recipients(self, announcement_id: str) -> Iterator[Recipient]:
        return iter(sorted(self.audience.get(announcement_id, {}).values(), key=lambda r: r.address))

    def recipient(self, announcement_id: str, address: str) -> Recipient | None:
        return self.audience.get(announcement_id, {}).get(address)

    def claim(self, announcement_id: str, address: str, at: str) -> Recipient | None:
        return self.settle(announcement_id, address, RecipientState.SENDING, (RecipientState.PENDING,), at)

    def settle(
        self,
        announcement_id: str,
        address: str,
        state: RecipientState,
        from_states: tuple[RecipientState, ...],
        at: str,
        reason: str = "",
        ses_message_id: str = "",
    ) -> Recipient | None:
        there = self.recipient(announcement_id, address)
        if there is None or there.state not in from_states:
            return None
        moved = replace(there, state=state, updated_at=at)
        if reason:
            moved = replace(moved, reason=reason[:1000])
        if ses_message_id:
            moved = replace(moved, ses_message_id=ses_message_id)
        self.audience[announcement_id][address] = moved
        return moved

    def engage(self, announcement_id: str, address: str, clicked: bool, mark: str) -> bool:
        there = self.recipient(announcement_id, address)
        marks = self.marks.setdefault((announcement_id, address, clicked), set())
        if there is None or len(marks) >= MARKS_KEPT:
            return False
        marks.add(mark)
        field_name = "clicks" if clicked else "opens"
        self.audience[announcement_id][address] = replace(there, **{field_name: len(marks)})
        return True

    def opt_out(self, address: str, at: str, source: str) -> bool:
        if address in self.opt_outs:
            return False
        self.opt_outs[address] = (at, source)
        return True

    def opted_out(self, addresses: Iterable[str]) -> set[str]:
        return {a for a in addresses if a in self.opt_outs}
