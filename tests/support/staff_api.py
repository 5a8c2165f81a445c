"""The staff API on the embedded stack, signed in with moto's Cognito: the fixtures of the app tests
(re-exported by tests/app/conftest.py and tests/security/conftest.py) and their helpers."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.wiring import services
from tests.support.fault_injection import FaultInjector
from tests.support.staff_auth import jwks_server, moto_jwks, sign_in

ANN = "ann@example.com"
BOB = "bob@example.com"


@dataclass
class Api:
    stack: Any
    client: Any
    token: str
    jwks_requests: list[str]

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        token = self.token if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = body if isinstance(body, str) else json.dumps(body) if body is not None else None
        return getattr(self.client.http, method.lower())(path, headers=headers, body=payload)

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("PATCH", path, body, **kw)


@pytest.fixture(scope="module")
def jwks():
    """moto's JWKS served over loopback HTTP, the way the app fetches Cognito's."""
    with jwks_server(moto_jwks()) as served:
        yield served


@pytest.fixture
def api(stack, monkeypatch, jwks):
    url, requested = jwks
    for name, value in stack.outputs.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INBOUND_JWKS_URL", url)
    services.cache_clear()
    # moto's Cognito outlives the stack a test empties: ANN starts in no group, whatever an
    # earlier test (in whichever order they run) made her.
    cognito, (pool, _) = stack.client("cognito-idp"), pool_of(stack)
    tokens = sign_in(cognito, *pool_of(stack), ANN)
    for group in ("admin", "agent"):
        cognito.admin_remove_user_from_group(UserPoolId=pool, Username=ANN, GroupName=group)
    tokens = sign_in(cognito, *pool_of(stack), ANN)
    from app import app

    with Client(app, stage_name="test") as client:
        yield Api(stack, client, tokens["id"], requested)
    services.cache_clear()


def ssm_outage(kind: str = "error") -> FaultInjector:
    """A new container of the app (services built afresh, nothing cached) whose every SSM call
    fails (`kind`: a 500 or a timeout) until the injector's `fail_from` is None."""
    services.cache_clear()
    injector = FaultInjector(services()._session, kind, calls="ssm.*")  # before its SSM client
    injector.fail_from = 0
    return injector


def pool_of(stack) -> tuple[str, str]:
    return stack.outputs["INBOUND_USER_POOL_ID"], stack.outputs["INBOUND_USER_POOL_CLIENT_ID"]


@pytest.fixture
def local_server(api):
    """The app under Chalice's threaded local server (what `inbound up` serves), on loopback."""
    from chalice.config import Config
    from chalice.local import LocalChalice, LocalDevServer, create_local_server

    from app import app

    config = Config.create(chalice_stage="test", app_name="inbound")
    make = LocalDevServer if isinstance(app, LocalChalice) else create_local_server
    server = make(app, config, "127.0.0.1", 0)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)  # no "Serving on" print
    thread.start()
    yield f"http://127.0.0.1:{server.server.server_address[1]}"
    server.shutdown()
    server.server.server_close()


@pytest.fixture
def app_stack(stack, monkeypatch):
    """The app's own wiring (built from the environment) pointed at the embedded stack."""
    for name, value in stack.outputs.items():
        monkeypatch.setenv(name, value)
    services.cache_clear()
    from app import app

    with Client(app, stage_name="test") as client:
        yield stack, client
    services.cache_clear()


def bob_token(api) -> str:
    token = sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), BOB)["id"]
    assert api.get("/api/tickets", token=token).status_code == 200  # bob is an agent now
    return token


def sent_mail() -> list[dict]:
    """Every SendRawEmail the app's outbound service makes from now on."""
    sent: list[dict] = []
    client = services().outbound.ports.sender.client
    client.meta.events.register(
        "provide-client-params.ses.SendRawEmail", lambda params, **_: sent.append(params)
    )
    return sent


def token_in_groups(api: Api, email: str, *groups: str) -> str:
    """A fresh ID token of `email` in exactly these groups (the claim is read from the token)."""
    cognito, (pool, client) = api.stack.client("cognito-idp"), pool_of(api.stack)
    sign_in(cognito, pool, client, email)  # the account exists
    for group in ("admin", "agent"):
        call = cognito.admin_add_user_to_group if group in groups else cognito.admin_remove_user_from_group
        call(UserPoolId=pool, Username=email, GroupName=group)
    token = sign_in(cognito, pool, client, email)["id"]
    assert api.get("/api/tickets", token=token).status_code == 200  # named as an agent
    return token


@pytest.fixture
def cognito_calls(api: Api) -> Any:
    """Every request the console's sign-in proxy sends to Cognito, by operation."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client = services().console_sign_in._cognito  # built once per container: unregister after
    client.meta.events.register("before-call.cognito-idp", record)
    yield calls
    client.meta.events.unregister("before-call.cognito-idp", record)
