"""The staff directory (the user pool) the console's administration works on."""

from __future__ import annotations

from typing import Any, Protocol


class StaffDirectory(Protocol):
    def members(self) -> list[dict[str, Any]]:
        """Every staff member: email, status, enabled, role, created."""
        ...

    def create(self, email: str, password: str, role: str) -> bool:
        """Create with a one-time password, in `role`; False when the address exists."""
        ...

    def set_role(self, email: str, role: str) -> None: ...
    def set_enabled(self, email: str, enabled: bool) -> None: ...
    def delete(self, email: str) -> None: ...


class AdminGuard(Protocol):
    """One change that could leave fewer admins at a time (services/staff_admin.py): a lease."""

    def acquire(self, holder: str, now: int, lease: int) -> bool:
        """Hold it until `now + lease` (epoch seconds); False while another holder has it."""
        ...

    def release(self, holder: str) -> None:
        """Let go, if `holder` still has it."""
        ...
