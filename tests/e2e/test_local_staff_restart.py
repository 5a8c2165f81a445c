"""`inbound up` keeps its user pool's staff across a restart, whatever changed it: the
console's Staff screen (the API, as an admin), an agent's own new password at first
sign-in, not only `inbound staff`. A disabled agent must stay disabled (security)."""

from __future__ import annotations

import json
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.local_up import LocalStackRun, UpProcess, inbound_command

# The "restarts" group's one `inbound up` (tests/support/local_up.py), with test_local_stack,
# test_local_staff_restart and test_poison_mail: each restarts it, on its own data.
pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack("restarts")]

NEW_PASSWORD = "Chosen-at-first-sign-in-7"


def _runtime(up: UpProcess) -> dict[str, Any]:
    return dict(json.loads((up.data_dir / "stack.json").read_text()))


def _auth(up: UpProcess, username: str, password: str) -> dict[str, Any]:
    return dict(
        up.client("cognito-idp").initiate_auth(
            ClientId=_runtime(up)["user_pool_client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    )


def _staff_add(up: UpProcess, email: str) -> str:
    done = subprocess.run(
        [*inbound_command(), "staff", "add", email, "--data-dir", str(up.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split("one-time password: ", 1)[1].split()[0]


def _api(up: UpProcess, token: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{up.http}/api{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


def _staff(up: UpProcess, token: str) -> dict[str, dict[str, Any]]:
    listed = _api(up, token, "GET", "/staff")
    members = listed["staff"] if isinstance(listed, dict) else listed
    return {member["email"]: member for member in members}


def test_console_and_sign_in_changes_to_staff_survive_a_restart(local_stack: LocalStackRun) -> None:
    before = local_stack.current
    creds = local_stack.credentials()
    pool = _runtime(before)["user_pool_id"]
    before.client("cognito-idp").admin_add_user_to_group(
        UserPoolId=pool, Username=creds["username"], GroupName="admin"
    )
    admin = _auth(before, creds["username"], creds["password"])["AuthenticationResult"]["IdToken"]
    disabled = _staff_add(before, "to.disable@example.com")
    _staff_add(before, "to.promote@example.com")
    first = _staff_add(before, "new.password@example.com")

    _api(before, admin, "PATCH", "/staff/" + urllib.parse.quote("to.disable@example.com"), {"enabled": False})
    _api(before, admin, "PATCH", "/staff/" + urllib.parse.quote("to.promote@example.com"), {"role": "admin"})
    _api(before, admin, "POST", "/staff", {"email": "invitee@partner.test", "role": "agent"})
    # The console's first sign-in: NEW_PASSWORD_REQUIRED answered with the agent's own password.
    challenge = _auth(before, "new.password@example.com", first)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    before.client("cognito-idp").respond_to_auth_challenge(
        ClientId=_runtime(before)["user_pool_client_id"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "new.password@example.com", "NEW_PASSWORD": NEW_PASSWORD},
    )

    code, after = local_stack.restart()

    assert code == 0
    with pytest.raises(ClientError, match="User is disabled"):
        _auth(after, "to.disable@example.com", disabled)
    assert "AuthenticationResult" in _auth(after, "new.password@example.com", NEW_PASSWORD)
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        _auth(after, "new.password@example.com", first)
    admin = _auth(after, creds["username"], creds["password"])["AuthenticationResult"]["IdToken"]
    staff = _staff(after, admin)
    assert staff["to.disable@example.com"]["status"] == "disabled"
    assert staff["to.promote@example.com"]["role"] == "admin"
    assert staff["invitee@partner.test"]["status"] == "invited"
    assert staff["new.password@example.com"]["status"] == "active"
    kept = after.data_dir / "staff-pool.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
