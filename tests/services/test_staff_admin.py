"""Staff administration on fakes: the last admin survives two admins removing each other at once.

The last-admin rule was check-then-act: each request read the pool ("is someone else an
admin?") and then wrote. Two admins demoting or disabling each other at the same moment both
read the other as admin, both wrote, and the staff had no admin left: nobody could invite,
disable or promote anyone again (only an operator with AWS credentials). The interleaving
hook below holds each request between its read and its write until the other request has
read too, or has been made to wait for the staff guard (services/staff_admin.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.domain.staff_identity import ADMIN
from chalicelib.services.staff_admin import StaffAdmin, StaffConflict
from tests.fakes.staff import FakeAdminGuard, FakeStaffDirectory
from tests.support.outbound_services import mail_out

ANN, BOB = "ann@example.com", "bob@example.com"


@dataclass
class WatchedGuard(FakeAdminGuard):
    """The guard, telling the threads waiting on `turn` whenever it refuses or is let go."""

    turn: threading.Condition = field(default_factory=threading.Condition)

    def acquire(self, holder: str, now: int, lease: int) -> bool:
        got = super().acquire(holder, now, lease)
        with self.turn:
            self.turn.notify_all()
        return got

    def release(self, holder: str) -> None:
        super().release(holder)
        with self.turn:
            self.turn.notify_all()

    def pause(self, _seconds: float) -> None:
        """StaffAdmin's sleep between attempts: until the guard is free."""
        with self.turn:
            self.turn.wait_for(lambda: not self.holder, timeout=10)


@dataclass
class InterleavedDirectory(FakeStaffDirectory):
    """Each thread's first read of the pool waits until the other thread has read it too, or
    has been refused the guard: the worst interleaving, every time."""

    guard: WatchedGuard = field(default_factory=WatchedGuard)
    readers: set[int] = field(default_factory=set)

    def members(self) -> list[dict[str, Any]]:
        found = super().members()
        me, turn = threading.get_ident(), self.guard.turn
        with turn:
            if me in self.readers:
                return found
            self.readers.add(me)
            turn.notify_all()
            # A bound only so that a broken run ends; either way the outcome is what is asserted.
            turn.wait_for(lambda: len(self.readers) + min(self.guard.refused, 1) >= 2, timeout=10)
        return found


@pytest.mark.parametrize(
    "change",
    [
        lambda admin, email: admin.set_role(email, "agent"),
        lambda admin, email: admin.set_enabled(email, False),
        lambda admin, email: admin.remove(email),
    ],
    ids=["demote", "disable", "remove"],
)
def test_two_admins_removing_each_other_at_once_leave_one_admin(change):
    directory = InterleavedDirectory()
    for email in (ANN, BOB):
        directory.create(email, "Temporary-Passw0rd!", ADMIN)
    svc = mail_out()
    admin = StaffAdmin(directory, svc.desk.agents, svc.outbound, directory.guard, sleep=directory.guard.pause)
    refused: list[StaffConflict] = []

    def act(email: str) -> None:
        try:
            change(admin, email)
        except StaffConflict as exc:
            refused.append(exc)

    threads = [threading.Thread(target=act, args=(email,)) for email in (BOB, ANN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    admins = [m["email"] for m in directory.members() if m["role"] == ADMIN and m["enabled"]]
    assert len(admins) == 1, f"admins left: {admins}"
    [conflict] = refused
    assert "is the last admin" in str(conflict)
    assert directory.guard.holder == "", "the guard is let go"


def test_a_change_waits_for_the_guard_and_gives_up_with_a_line_saying_what_to_do():
    directory = FakeStaffDirectory()
    for email in (ANN, BOB):
        directory.create(email, "Temporary-Passw0rd!", ADMIN)
    guard = FakeAdminGuard()
    svc = mail_out()
    admin = StaffAdmin(directory, svc.desk.agents, svc.outbound, guard, sleep=lambda _: None)
    assert guard.acquire("a colleague's request", now=int(svc.desk.clock.timestamp()), lease=60)

    with pytest.raises(StaffConflict, match="try again in a minute"):
        admin.set_role(BOB, "agent")

    assert [m["role"] for m in directory.members()] == [ADMIN, ADMIN], "nothing changed"
    guard.release("a colleague's request")
    assert admin.set_role(BOB, "agent")["role"] == "agent"
