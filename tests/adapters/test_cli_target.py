"""The stack commands find the running local stack with no AWS credentials in the shell,
and every expected failure is one line saying what to do (a traceback only with -v).

The stack is moto's server on loopback, provisioned as `inbound up` provisions it, with
the `stack.json` that `inbound up` writes (by its own writer); the commands run in-process
through `inbound.cli.main` with every AWS credential removed from the environment.

The tests against a deployed stage (the embedded stack, whose `mock_aws` resets moto's
backends under this module's server) are in test_cli_deployed_stage.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
from inbound.cli import main
from inbound.cli.failures import explain
from inbound.local.embedded import REGION, free_port
from inbound.local.staff_roster import restore_local
from tests.support.stack_dir import running_stack, without_aws_credentials
from tests.support.tickets_cli import run

AGENT = "agent@example.com"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """A data dir as a running `inbound up` leaves it, and its moto server."""
    with running_stack(tmp_path_factory.mktemp("data")) as stack_dir:
        credentials = json.dumps({"username": AGENT, "password": "x"})
        (stack_dir.data_dir / "credentials.json").write_text(credentials)
        yield stack_dir


@pytest.fixture
def bare_shell(monkeypatch, tmp_path):
    without_aws_credentials(monkeypatch, tmp_path)


def cognito(running):
    session = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=REGION)
    return session.client("cognito-idp", region_name=REGION, endpoint_url=running.endpoint)


def test_suppression_and_reputation_work_on_the_running_stack_with_no_credentials(
    running, bare_shell, capsys, monkeypatch
):
    data = ("--data-dir", str(running.data_dir))
    monkeypatch.setenv("AWS_PROFILE", "work-account")  # a profile for AWS, absent here: not needed
    code, out, err = run(capsys, "suppression", "check", "someone@example.org", "--json", *data)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"address": "someone@example.org", "suppressed": False, "reason": None}
    code, out, _ = run(capsys, "reputation", *data)
    assert code == 0 and out.startswith("guard: ok")
    code, out, _ = run(capsys, "redrive", "--dry-run", "--json", *data)
    assert code == 0 and json.loads(out)["dry_run"] is True


def test_staff_add_list_disable_enable_remove_on_the_local_stack(running, bare_shell, capsys):
    data = ("--data-dir", str(running.data_dir))
    pool, client_id = (
        running.stack.outputs["INBOUND_USER_POOL_ID"],
        running.stack.outputs["INBOUND_USER_POOL_CLIENT_ID"],
    )
    code, out, err = run(capsys, "staff", "add", "colleague", *data)  # the address half typed
    assert (code, out) == (1, "") and err == (
        "inbound staff: colleague is not an email address: `inbound staff add name@example.com`\n"
    )
    code, out, _ = run(capsys, "staff", "add", "Colleague@Example.com", *data)
    assert code == 0 and "agent colleague@example.com created" in out
    password = out.split("one-time password: ")[1].split()[0]
    idp = cognito(running)

    def sign_in() -> str:
        answer = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "colleague@example.com", "PASSWORD": password},
        )
        return str(answer.get("ChallengeName"))

    assert sign_in() == "NEW_PASSWORD_REQUIRED"
    code, out, _ = run(capsys, "staff", "list", "--json", *data)
    listed = {a["email"]: a["status"] for a in map(json.loads, out.splitlines())}
    assert listed["colleague@example.com"] == "invited"
    roster = DynamoDBAgents(running.stack.client("dynamodb"), running.stack.settings.tickets_table)
    roster.record("sub-colleague", "colleague@example.com")  # as their first sign-in names them
    assert "colleague@example.com" in roster.roster()

    assert run(capsys, "staff", "disable", "colleague@example.com", *data)[0] == 0
    assert "colleague@example.com" not in roster.roster(), "the console's assign picker"
    assert not roster.is_agent("colleague@example.com"), "an assignment is refused"
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        sign_in()
    code, out, _ = run(capsys, "staff", "list", *data)
    assert out.splitlines()[0].split() == ["EMAIL", "STATUS", "ROLE", "CREATED"]
    assert [line.split()[:3] for line in out.splitlines() if "colleague" in line] == [
        ["colleague@example.com", "disabled", "agent"]
    ]
    # moto keeps no users across a restart: `inbound up` redoes staff.json, disabled included.
    idp.admin_delete_user(UserPoolId=pool, Username="colleague@example.com")
    restore_local(idp, pool, running.data_dir)
    with pytest.raises(ClientError, match="User is disabled"):
        sign_in()

    assert run(capsys, "staff", "enable", "colleague@example.com", *data)[0] == 0
    assert sign_in() == "NEW_PASSWORD_REQUIRED"
    assert "colleague@example.com" in roster.roster() and roster.is_agent("colleague@example.com")
    assert run(capsys, "staff", "remove", "colleague@example.com", *data)[0] == 0
    code, out, _ = run(capsys, "staff", "list", "--json", *data)
    assert "colleague@example.com" not in out
    kept = [agent["email"] for agent in json.loads((running.data_dir / "staff.json").read_text())]
    assert "colleague@example.com" not in kept  # (the roles test's second admin may be there)


def test_staff_roles_are_cognito_groups_kept_across_a_restart(running, bare_shell, capsys):
    data = ("--data-dir", str(running.data_dir))
    pool = running.stack.outputs["INBOUND_USER_POOL_ID"]
    idp = cognito(running)
    code, out, _ = run(capsys, "staff", "add", "boss@example.com", "--role", "admin", *data)
    assert code == 0 and "admin boss@example.com created" in out
    # Another admin, so that boss is not the last one (test_staff_cli_last_admin.py).
    assert run(capsys, "staff", "add", "chief@example.com", "--role", "admin", *data)[0] == 0

    def groups() -> list[str]:
        found = idp.admin_list_groups_for_user(UserPoolId=pool, Username="boss@example.com")
        return [g["GroupName"] for g in found["Groups"]]

    def role() -> str:
        listed = map(json.loads, run(capsys, "staff", "list", "--json", *data)[1].splitlines())
        return next(a["role"] for a in listed if a["email"] == "boss@example.com")

    assert groups() == ["admin"] and role() == "admin"
    directory = DynamoDBAgents(running.stack.client("dynamodb"), running.stack.settings.tickets_table)
    directory.record("sub-boss", "boss@example.com")  # as their first sign-in names them
    code, out, _ = run(capsys, "staff", "role", "boss@example.com", "agent", *data)
    assert code == 0 and "is now agent (at once)" in out
    assert groups() == ["agent"] and role() == "agent"
    # The API asks the directory: boss's admin token stops counting as admin now, not in an hour.
    assert directory.standing("boss@example.com").role == "agent"
    assert run(capsys, "staff", "role", "boss@example.com", "admin", *data)[0] == 0
    assert directory.standing("boss@example.com").role == "admin"
    # moto keeps no users across a restart: `inbound up` redoes staff.json, the role included.
    idp.admin_delete_user(UserPoolId=pool, Username="boss@example.com")
    restore_local(idp, pool, running.data_dir)
    assert groups() == ["admin"]
    with pytest.raises(SystemExit):
        main(["staff", "role", "boss@example.com", "owner", *data])
    assert "invalid choice: 'owner'" in capsys.readouterr().err
    assert run(capsys, "staff", "remove", "boss@example.com", *data)[0] == 0


def test_expected_staff_failures_are_one_line(running, bare_shell, capsys):
    data = ("--data-dir", str(running.data_dir))
    code, out, err = run(capsys, "staff", "remove", "nobody@example.com", *data)
    assert (code, out) == (1, "")
    assert err == (
        "inbound staff: AdminDeleteUser refused (UserNotFoundException: User does not exist.) — "
        "no such agent: `inbound staff list` shows who there is\n"
    )
    code, _, err = run(capsys, "staff", "remove", AGENT, *data)
    assert code == 1 and err.count("\n") == 1 and f"disable it instead: inbound staff disable {AGENT}" in err
    with pytest.raises(ClientError, match="UserNotFoundException"):
        main(["-v", "staff", "remove", "nobody@example.com", *data])
    with pytest.raises(ClientError, match="UserNotFoundException"):
        main(["staff", "remove", "nobody@example.com", "-v", *data])


def test_no_running_stack_says_how_to_start_one(tmp_path, bare_shell, capsys):
    aws = "--data-dir, --stage or --endpoint-url"
    for argv, elsewhere in (
        (("suppression", "list"), aws),
        (("reputation",), aws),
        (("staff", "list"), aws),
        (("tickets", "list"), "--data-dir, --stage or --url"),  # the staff API's commands
        (("secret", "rotate"), aws),
        (("outbox",), "--data-dir"),  # read from the folder: a stopped stack's outbox too
    ):
        code, out, err = run(capsys, *argv, "--data-dir", str(tmp_path / "none"))
        assert (code, out) == (1, ""), argv
        assert err.endswith(
            f"no inbound stack is running in {tmp_path / 'none'} — start it with `make run` (or `inbound up`), "
            f"or pass {elsewhere}\n"
        ), argv
    code, out, err = run(capsys, "outbox", "no-such-id", "--data-dir", str(tmp_path))
    assert (code, out) == (
        1,
        "",
    ) and err == f"no message no-such-id in {tmp_path / 'outbox'}: `inbound outbox` lists them\n"
    # A run killed with -9 leaves its stack.json behind; until its parent reaps it, it is a zombie.
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    killed.kill()
    os.waitid(os.P_PID, killed.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped: a zombie
    try:
        (tmp_path / "stack.json").write_text(
            json.dumps({"pid": killed.pid, "endpoint_url": "http://127.0.0.1:1"})
        )
        for _ in range(2):
            code, _, err = run(capsys, "reputation", "--data-dir", str(tmp_path))
            assert code == 1 and f"(its last run, process {killed.pid}, has stopped)" in err
            killed.wait()  # and once reaped
    finally:
        killed.wait()


def test_a_missing_profile_is_one_line(bare_shell, capsys, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "work-account")
    code, _, err = run(capsys, "reputation", "--stage", "prod")
    assert code == 1 and err == (
        "inbound reputation: The config profile (work-account) could not be found: "
        "name a profile of ~/.aws/config in AWS_PROFILE, or unset it\n"
    )


def test_missing_credentials_and_an_unreachable_endpoint_are_one_line(bare_shell, capsys):
    code, out, err = run(capsys, "reputation", "--stage", "prod")
    assert (code, out) == (1, "")
    assert err == (
        "inbound reputation: no AWS credentials for this stage: configure them (`aws configure`, "
        "AWS_PROFILE), or leave out --stage to work on the local stack of this folder\n"
    )
    for command in ("provision", "teardown"):  # they always name a stage: leaving it out is no way
        code, _, err = run(capsys, command, "--stage", "prod", "--region", "us-east-1")
        assert code == 1 and err.count("\n") == 1, err
        assert "or pass --endpoint-url to rehearse on an emulator" in err and "leave out --stage" not in err
    closed = f"http://127.0.0.1:{free_port()}"
    code, _, err = run(capsys, "suppression", "list", "--endpoint-url", closed)
    assert (code, err) == (
        1,
        f"inbound suppression: cannot reach {closed}/: is the stack still running (`make run`)? "
        "or check your network\n",
    )


def test_refusals_by_code_say_what_to_do():
    expired = ClientError(
        {"Error": {"Code": "ExpiredToken", "Message": "The security token expired"}}, "GetItem"
    )
    assert explain(expired) == (
        "GetItem refused (ExpiredToken: The security token expired) — your AWS credentials are expired "
        "or invalid: renew your AWS credentials (e.g. `aws sso login`, or a new key) and try again"
    )
    unreachable = EndpointConnectionError(endpoint_url="https://sts.us-east-1.amazonaws.com/")
    assert explain(unreachable) == (
        "cannot reach https://sts.us-east-1.amazonaws.com/: check your network (or its proxy) and try again"
    )
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Query")
    assert "your AWS identity may not do this" in str(explain(denied))
    assert explain(KeyError("a bug")) is None  # not an expected failure: its traceback shows
