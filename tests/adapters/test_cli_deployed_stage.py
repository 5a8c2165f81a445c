"""The terminal client against an API and a deployed stage: every expected failure is one line
saying what to do, and `--stage` finds what `chalice deploy` and `inbound provision` left.

Apart from test_cli_target.py because these use the embedded stack (moto in this process,
`mock_aws`), whose start and end reset moto's backends: in one module with that file's running
moto server, a random order (make test-random) emptied the running stack's user pool under
the tests that use it.
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from inbound.cli.failures import explain
from inbound.cli.http_client import ApiError
from inbound.cli.staff_login import Tokens, save_tokens
from inbound.local.embedded import REGION
from tests.support.tickets_cli import run

AGENT = "agent@example.com"


class _FailingApi(http.server.BaseHTTPRequestHandler):
    status = 500

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"error": "internal", "reason": "the table is gone"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("status", "line"),
    [
        (
            500,
            "the table is gone (HTTP 500) — the API failed; its log (`inbound up`'s output, or CloudWatch) says why",
        ),
        (401, "your sign-in has expired at {url}: run `inbound login`"),
    ],
)
def test_api_failures_are_one_line(tmp_path, capsys, status, line):
    handler = type("Api", (_FailingApi,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        save_tokens(tmp_path, Tokens("id", "access", "", 4e9, "client", REGION, None, AGENT, url))
        code, out, err = run(capsys, "tickets", "list", "--url", url, "--data-dir", str(tmp_path))
    finally:
        server.shutdown()
        server.server_close()
    assert (code, out, err) == (1, "", f"inbound tickets: {line.format(url=url)}\n")


def test_tickets_and_login_find_a_deployed_stage_from_the_chalice_files(tmp_path, capsys, monkeypatch, stack):
    """GIVEN a project where `chalice deploy --stage test` and `inbound provision
    --write-config` ran WHEN `inbound login`/`tickets` get --stage test THEN they use that
    stage's API URL and Cognito app client; a stage not deployed from here is one line."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailingApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}/api"
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".chalice" / "deployed").mkdir(parents=True)
    rest_api = {
        "name": "rest_api",
        "resource_type": "rest_api",
        "rest_api_id": "x",
        "rest_api_url": api + "/",
    }
    (tmp_path / ".chalice" / "deployed" / "test.json").write_text(json.dumps({"resources": [rest_api]}))
    env = {k: stack.outputs[k] for k in ("INBOUND_USER_POOL_ID", "INBOUND_USER_POOL_CLIENT_ID")}
    config = {"stages": {"test": {"environment_variables": env}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    data = ("--data-dir", str(tmp_path / "tokens"))
    try:
        monkeypatch.setenv("INBOUND_PASSWORD", "Not-the-password-1")
        code, _, err = run(capsys, "login", "--stage", "test", "--email", "nobody@example.com", *data)
        assert code == 1 and "sign-in refused (UserNotFoundException)" in err  # the stage's pool answered
        save_tokens(tmp_path / "tokens", Tokens("id", "access", "", 4e9, "client", REGION, None, AGENT, api))
        code, _, err = run(capsys, "tickets", "list", "--stage", "test", *data)
        assert (code, err) == (
            1,
            "inbound tickets: the table is gone (HTTP 500) — the API failed; its log "
            "(`inbound up`'s output, or CloudWatch) says why\n",
        )
    finally:
        server.shutdown()
        server.server_close()
    code, _, err = run(capsys, "tickets", "list", "--stage", "prod", *data)
    assert code == 1 and err == (
        "inbound tickets: stage prod was not deployed from this folder (.chalice/deployed/prod.json is "
        "missing): run `chalice deploy --stage prod` here, or pass --url\n"
    )


def test_an_api_nobody_answers_is_named():
    assert explain(ApiError(0, "unreachable", "cannot reach http://127.0.0.1:1: refused")) == (
        "cannot reach http://127.0.0.1:1: refused: is the stack running (`make run`)? or check --url"
    )


def test_staff_on_a_deployed_stage_finds_its_pool_by_name_or_by_id(stack, capsys):
    """GIVEN a provisioned stage (moto in-process plays AWS) WHEN `inbound staff` runs with
    --stage, or with --user-pool-id alone THEN both work on that stage's pool."""
    pool = stack.outputs["INBOUND_USER_POOL_ID"]
    code, out, _ = run(capsys, "staff", "add", "ops@example.com", "--stage", "test", "--region", REGION)
    assert code == 0 and f"created in pool {pool}" in out
    code, out, _ = run(capsys, "staff", "list", "--json", "--user-pool-id", pool, "--region", REGION)
    assert code == 0 and [json.loads(line)["email"] for line in out.splitlines()] == ["ops@example.com"]
    assert run(capsys, "staff", "remove", "ops@example.com", "--stage", "test")[0] == 0
    code, _, err = run(capsys, "staff", "list", "--stage", "nostage")
    assert code == 1 and "stage nostage has no user pool inbound-nostage" in err
