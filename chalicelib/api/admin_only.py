"""The admin check of every admin route (staff, SLA targets, announcements, saved replies).

The token check (api/staff_routes.py) has already put the caller in the request's context,
`admin` as the token and the staff directory both said within INBOUND_STAFF_CHECK_SECONDS
(services/staff_identities.py). That is enough to read; a change asks the directory afresh
(`fresh`), so an admin disabled or made agent a moment ago changes nothing (SECURITY.md).
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Forbidden
from chalicelib.wiring import services


def require_admin(request: Any, what: str, fresh: bool) -> dict[str, Any]:
    """The caller's context; Forbidden unless an admin, AgentDisabled if disabled since."""
    staff = dict(request.context.get("staff") or {})
    if not staff.get("admin"):
        raise Forbidden(f"only an admin {what} (Cognito group admin)")
    if fresh:
        services().auth.confirm_admin(str(staff.get("agent", "")))
    return staff


def changes(request: Any) -> bool:
    """Whether the request changes something (anything but a read)."""
    return str(request.method) not in ("GET", "HEAD", "OPTIONS")
