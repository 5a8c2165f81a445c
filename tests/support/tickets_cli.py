"""`inbound tickets` and `inbound login` against the app under Chalice's local HTTP server: the
data dir a running `inbound up` leaves (`local_agent`) and running a command in-process."""

from __future__ import annotations

import json
import os

import pytest

from inbound.cli import main
from tests.support.staff_api import ANN, pool_of
from tests.support.staff_auth import PASSWORD, sign_in


@pytest.fixture
def local_agent(api, local_server, tmp_path):
    """A data dir as `inbound up` leaves it: the first agent's credentials and the stack's endpoints."""
    pool_id, client_id = pool_of(api.stack)
    sign_in(api.stack.client("cognito-idp"), pool_id, client_id, ANN)
    (tmp_path / "credentials.json").write_text(json.dumps({"username": ANN, "password": PASSWORD}))
    # A running stack (this process) whose AWS is moto in-process: no endpoint_url.
    stack = {
        "pid": os.getpid(),
        "http": local_server,
        "user_pool_client_id": client_id,
        "region": "us-east-1",
    }
    (tmp_path / "stack.json").write_text(json.dumps(stack))
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
