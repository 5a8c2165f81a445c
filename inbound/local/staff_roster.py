"""The local stack's staff roster: moto keeps no Cognito users across a restart, so each
`inbound staff` change made on the local stack is also recorded in `staff.json` (0600) in its
data dir. `inbound up` keeps the whole pool in staff-pool.json (`staff_pool`) and redoes
staff.json (`restore_local`) only for a data dir from before that file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chalicelib.adapters.cognito_staff import create_user, set_role

STAFF_FILE = "staff.json"


def add_agent(cognito: Any, pool_id: str, email: str, password: str) -> bool:
    """Create the agent with a temporary password; False when the address exists already."""
    return create_user(cognito, pool_id, email, password)


def _read_local(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / STAFF_FILE
    return list(json.loads(path.read_text())) if path.exists() else []


def _write_local(data_dir: Path, staff: list[dict[str, Any]]) -> None:
    path = data_dir / STAFF_FILE
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump(staff, handle, indent=2)


def remember_local(data_dir: Path, email: str, **fields: Any) -> None:
    """Record (or with `removed=True` forget) what `inbound up` must redo on its next start."""
    staff = _read_local(data_dir)
    found = next((s for s in staff if s["email"] == email), {"email": email})
    staff = [s for s in staff if s["email"] != email]
    if not fields.pop("removed", False):
        staff.append({**found, **fields})
    _write_local(data_dir, staff)


def restore_local(cognito: Any, pool_id: str, data_dir: Path) -> int:
    """Create again the agents `staff add` made on the local stack, in their role, disabled
    where `staff disable` left them; returns how many entries were applied."""
    staff = _read_local(data_dir)
    for agent in staff:
        if agent.get("temporary_password"):
            add_agent(cognito, pool_id, agent["email"], agent["temporary_password"])
        if agent.get("role"):
            set_role(cognito, pool_id, agent["email"], agent["role"])
        if agent.get("enabled") is False:
            cognito.admin_disable_user(UserPoolId=pool_id, Username=agent["email"])
    return len(staff)
