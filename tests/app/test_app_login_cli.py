"""`inbound login` and the token it keeps, against the app under Chalice's local HTTP server:
the local agent signed in by itself, an email and password, and a token refreshed only
where it was issued."""

from __future__ import annotations

import json

from tests.support.desk_helpers import new_ticket
from tests.support.staff_api import ANN, pool_of
from tests.support.staff_auth import PASSWORD, sign_in
from tests.support.tickets_cli import run


def test_login_with_an_email_and_password_caches_a_token_the_other_commands_use(
    api, local_server, tmp_path, capsys, monkeypatch
):
    pool_id, client_id = pool_of(api.stack)
    sign_in(api.stack.client("cognito-idp"), pool_id, client_id, "bob@example.com")
    monkeypatch.setenv("INBOUND_PASSWORD", PASSWORD)
    data = ("--data-dir", str(tmp_path), "--url", local_server)
    code, out, _ = run(capsys, "login", "--email", "bob@example.com", "--client-id", client_id, *data)
    assert code == 0 and "as bob@example.com" in out
    new_ticket(api.stack)
    claimed = json.loads(run(capsys, "tickets", "next", "--json", *data)[1])
    assert claimed["assignee"] == "bob@example.com"
    monkeypatch.setenv("INBOUND_PASSWORD", "Wrong-password-1")
    code, _, err = run(capsys, "login", "--email", "bob@example.com", "--client-id", client_id, *data)
    assert code == 1 and "NotAuthorizedException" in err


def test_without_a_token_or_local_credentials_the_cli_says_to_log_in(local_server, tmp_path, capsys):
    code, _, err = run(capsys, "tickets", "list", "--url", local_server, "--data-dir", str(tmp_path))
    assert code == 1 and "run `inbound login`" in err


def test_after_a_restart_the_token_of_the_last_run_is_not_refreshed_at_its_gone_endpoint(
    api, local_agent, capsys
):
    """GIVEN the token an earlier run of `inbound up` left (its Cognito on a port that is now
    closed, expired) WHEN `inbound tickets list` runs against the current run THEN the local
    agent is signed in at the current run's Cognito, not refreshed at the old port."""
    from inbound.cli.staff_login import Tokens, load_tokens, save_tokens
    from inbound.local.embedded import free_port

    client_id = json.loads((local_agent / "stack.json").read_text())["user_pool_client_id"]
    old_run = f"http://127.0.0.1:{free_port()}"
    server = json.loads((local_agent / "stack.json").read_text())["http"]
    save_tokens(local_agent, Tokens("old", "old", "refresh", 0, client_id, "us-east-1", old_run, ANN, server))
    new_ticket(api.stack, "after the restart")
    code, out, err = run(capsys, "tickets", "list", "--data-dir", str(local_agent))
    assert code == 0 and "after the restart" in out and "Error" not in err
    assert load_tokens(local_agent).endpoint_url is None  # this run's (moto in-process)


def test_an_expired_token_of_this_run_is_refreshed_at_this_runs_cognito(api, local_agent, capsys):
    """GIVEN this run's cached token, expired WHEN a command runs THEN its refresh token gets a
    new ID token from this run's Cognito (no new sign-in: the refresh token is kept)."""
    from dataclasses import replace

    from inbound.cli.staff_login import load_tokens, save_tokens

    data = ("--data-dir", str(local_agent))
    assert run(capsys, "tickets", "list", *data)[0] == 0
    signed_in = load_tokens(local_agent)
    save_tokens(local_agent, replace(signed_in, id_token="expired", expires_at=0))
    new_ticket(api.stack, "after an hour")
    code, out, _ = run(capsys, "tickets", "list", *data)
    assert code == 0 and "after an hour" in out
    renewed = load_tokens(local_agent)
    assert renewed.id_token not in ("expired", "") and renewed.refresh_token == signed_in.refresh_token
