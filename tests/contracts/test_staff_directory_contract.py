"""The staff directory twice: the fake and the Cognito adapter on moto (a user pool with the
two groups provisioning makes). What staff administration counts on: an account is created
once, invited and in one role; a role moves it between the groups; a disabled account says
so until enabled; a deleted one is gone."""

from __future__ import annotations

import pytest

from chalicelib.domain.staff_identity import ADMIN, AGENT
from chalicelib.services.ports.staff import StaffDirectory
from tests.fakes.staff import FakeStaffDirectory

PASSWORD = "Temporary-Passw0rd!"


@pytest.fixture(params=["fake", "cognito"])
def directory(request: pytest.FixtureRequest) -> StaffDirectory:
    if request.param == "fake":
        return FakeStaffDirectory()
    from chalicelib.adapters.cognito_staff import CognitoStaff, ensure_group

    cognito = request.getfixturevalue("aws").client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="contract")["UserPool"]["Id"]
    for role in (ADMIN, AGENT):
        ensure_group(cognito, pool, role)
    return CognitoStaff(cognito, pool)


def _seen(directory: StaffDirectory) -> list[tuple[str, str, bool, str]]:
    return [(m["email"], m["status"], m["enabled"], m["role"]) for m in directory.members()]


def test_an_account_is_created_once_invited_and_in_its_role(directory):
    assert directory.create("bob@example.com", PASSWORD, AGENT) is True
    assert directory.create("ann@example.com", PASSWORD, ADMIN) is True
    assert directory.create("bob@example.com", PASSWORD, ADMIN) is False

    assert _seen(directory) == [
        ("ann@example.com", "invited", True, ADMIN),
        ("bob@example.com", "invited", True, AGENT),
    ]


def test_a_role_moves_disabling_shows_until_enabled_and_a_deleted_account_is_gone(directory):
    directory.create("bob@example.com", PASSWORD, AGENT)
    directory.set_role("bob@example.com", ADMIN)
    assert _seen(directory) == [("bob@example.com", "invited", True, ADMIN)]
    directory.set_role("bob@example.com", AGENT)
    directory.set_enabled("bob@example.com", False)
    assert _seen(directory) == [("bob@example.com", "disabled", False, AGENT)]
    directory.set_enabled("bob@example.com", True)
    assert _seen(directory) == [("bob@example.com", "invited", True, AGENT)]

    directory.delete("bob@example.com")

    assert directory.members() == []
