"""`inbound staff` keeps an admin, as the console's Staff screen does (409 there).

GIVEN a stage's pool with one enabled admin WHEN the operator disables, removes or
demotes them with `inbound staff` THEN each is refused in one line saying why and what to
do, and the pool is unchanged; with a second admin, each works.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from inbound.cli import main
from inbound.local.embedded import REGION
from tests.support.stack_dir import running_stack, without_aws_credentials

BOSS, CHIEF = "boss@example.com", "chief@example.com"


@pytest.fixture
def data(tmp_path, monkeypatch) -> Iterator[tuple[str, ...]]:
    """A user pool of its own (moto's backend is shared by the stacks of one test run)."""
    (tmp_path / "data").mkdir()
    with running_stack(tmp_path / "data") as stack_dir:
        session = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=REGION)
        idp = session.client("cognito-idp", region_name=REGION, endpoint_url=stack_dir.endpoint)
        pool = idp.create_user_pool(PoolName=f"last-admin-{tmp_path.name}")["UserPool"]["Id"]
        without_aws_credentials(monkeypatch, tmp_path)  # the commands need none
        yield ("--endpoint-url", stack_dir.endpoint, "--user-pool-id", pool)


def staff(capsys, data: tuple[str, str]) -> dict[str, tuple[str, str]]:
    assert main(["staff", "list", "--json", *data]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return {a["email"]: (a["role"], a["status"]) for a in listed}


def test_the_last_enabled_admin_cannot_be_disabled_removed_or_demoted_from_the_cli(data, capsys):
    assert main(["staff", "add", BOSS, "--role", "admin", *data]) == 0
    assert main(["staff", "add", "ann@example.com", *data]) == 0
    capsys.readouterr()
    before = staff(capsys, data)

    for argv, what in (
        (["staff", "disable", BOSS], "disable"),
        (["staff", "remove", BOSS], "remove"),
        (["staff", "role", BOSS, "agent"], "make agent"),
    ):
        assert main([*argv, *data]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert (
            err
            == f"inbound staff: {BOSS} is the last admin: make someone else admin before you {what} them\n"
        )
    assert staff(capsys, data) == before

    assert main(["staff", "add", CHIEF, "--role", "admin", *data]) == 0
    assert main(["staff", "disable", CHIEF, *data]) == 0
    capsys.readouterr()
    assert main(["staff", "disable", BOSS, *data]) == 1, "a disabled admin administers nothing"
    assert "last admin" in capsys.readouterr().err
    assert main(["staff", "enable", CHIEF, *data]) == 0
    assert main(["staff", "role", BOSS, "agent", *data]) == 0
    capsys.readouterr()
    assert staff(capsys, data)[BOSS] == ("agent", "invited")  # never signed in
