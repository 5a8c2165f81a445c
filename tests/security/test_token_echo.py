"""A staff token is never quoted back: unknown routes are a plain 404, and no error says it.

GIVEN `inbound up`'s HTTP server (Chalice's local server as local_stack starts it) and an
agent's valid ID token, WHEN a request for a method and path with no route carries the token
(a typo, a scanner, a page that makes the browser send it), THEN the answer is 404
`{"error": "not_found", ...}` and neither the token nor the Authorization header appears in
it. API Gateway's own answer (a 403 quoting the whole header as a SigV4 attempt) is what
Chalice's server copied; the stage's template sets the gateway response the same way
(tests/unit/test_gateway_responses.py). WHEN a known route gets a broken Authorization
header THEN its 401 does not quote it either.
"""

from __future__ import annotations

import contextlib
import importlib
import json
from collections.abc import Iterator

import pytest
import requests

from inbound.local.chalice_host import chalice_config, http_server
from inbound.stage.gateway_responses import NOT_FOUND
from tests.support.staff_api import Api

UNKNOWN = [
    ("GET", "/api/nothing-here"),
    ("GET", "/api/tickets/T-1000/messages/m-1/raw"),
    ("POST", "/api/tickets/T-1000/teleport"),
    ("DELETE", "/api/staffers/ann@example.com"),
    ("GET", "/api/../../etc/passwd"),
    ("GET", "/admin"),
]


@pytest.fixture
def served(api: Api) -> Iterator[str]:
    """The app as `inbound up` serves it, on a port the OS picks (the api fixture set the env)."""
    server = http_server(
        importlib.import_module("app"), chalice_config(), "127.0.0.1", 0, contextlib.nullcontext
    )
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.shutdown()
        server.server.server_close()


def _answer(method: str, url: str, authorization: str) -> requests.Response:
    return requests.request(method, url, headers={"Authorization": authorization}, timeout=30)


def _assert_not_quoted(answer: requests.Response, *secrets: str) -> None:
    said = answer.text + json.dumps(dict(answer.headers))
    for secret in secrets:
        assert secret not in said, f"{answer.status_code} quotes it: {answer.text[:300]}"
    for secret in secrets:  # nor a recognisable piece of it (the signature is the secret part)
        assert secret[-40:] not in said


@pytest.mark.parametrize(("method", "path"), UNKNOWN)
def test_an_unknown_route_is_a_404_that_does_not_quote_the_bearer_token(api, served, method, path):
    answer = _answer(method, served + path, f"Bearer {api.token}")
    _assert_not_quoted(answer, api.token)
    assert answer.status_code == 404, answer.text[:300]
    assert answer.json() == NOT_FOUND


def test_an_admin_route_refuses_an_agent_without_quoting_the_token(api, served):
    """DELETE /api/staff/{email} exists (staff administration): an agent's token is a 403, unquoted."""
    answer = _answer("DELETE", served + "/api/staff/ann@example.com", f"Bearer {api.token}")
    _assert_not_quoted(answer, api.token)
    assert answer.status_code == 403, answer.text[:300]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not.a.token",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "Basic YW5uQGV4YW1wbGUuY29tOkNvcnJlY3QtSG9yc2U=",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/execute-api/aws4_request, Signature=abc",
        "Bearer " + "A" * 4000,
    ],
    ids=["garbage", "alg-none", "basic", "sigv4", "long"],
)
def test_a_known_route_refuses_a_broken_authorization_without_quoting_it(api, served, authorization):
    for method, path in (("GET", "/api/tickets"), ("POST", "/api/tickets/T-1000/notes")):
        answer = _answer(method, served + path, authorization)
        assert answer.status_code == 401, answer.text[:300]
        _assert_not_quoted(answer, authorization, authorization.partition(" ")[2])


def test_a_tampered_real_token_is_refused_without_quoting_it(api, served):
    header, payload, signature = api.token.split(".")
    forged = f"{header}.{payload}x.{signature}"
    answer = _answer("GET", served + "/api/tickets", f"Bearer {forged}")
    assert answer.status_code == 401
    _assert_not_quoted(answer, forged, signature)
