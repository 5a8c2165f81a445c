"""The staff console's routes through chalice.test.Client: the page, its headers, and the
sign-in proxy to moto's Cognito (password, one-time password, refresh)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api import file_link_routes, unsubscribe_routes
from chalicelib.console.routes import PUBLIC_ROUTES
from tests.support.staff_api import ANN, Api, pool_of, ssm_outage
from tests.support.staff_auth import PASSWORD, sign_in

NEW_AGENT = "bo@example.com"
ONE_TIME = "One-time-Pass-42"
WAITING_AGENT = "cy@example.com"  # moto's pool outlives each test: a name of its own


def _post(api: Api, path: str, body: dict) -> object:
    return api.call("POST", path, body, token="")


def test_the_console_is_every_route_outside_the_api_and_needs_no_token(api: Api) -> None:
    from app import app

    # Outside /api/ only the console's own routes, the announcements' one-click
    # unsubscribe (RFC 8058: a mailbox provider POSTs it with no credentials) and the links
    # in mail to files too large to attach (a customer follows them) are served.
    outside_api = {path for path in app.routes if not path.startswith("/api/")}
    assert outside_api == PUBLIC_ROUTES | {unsubscribe_routes.ROUTE, file_link_routes.ROUTE}
    names = ("i18n-en.js", "i18n-de.js", "i18n.js", "console.js", "triage.js", "notify.js", "staff.js")
    scripts = [(f"/{name}", "text/javascript") for name in names]
    for path, kind in (("/", "text/html"), *scripts, ("/console.css", "text/css")):
        response = api.get(path, token="")
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith(kind)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    page = api.get("/", token="")
    assert all(f'<script src="{path[1:]}" defer></script>' in page.body.decode() for path, _ in scripts)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert api.get("/api/tickets", token="").status_code == 401  # the data still needs one
    assert api.get("/i18n-fr.js", token="").status_code == 404  # the catalogue's own files only


def test_every_console_file_is_served_through_the_asset_routes_and_nothing_else(api: Api) -> None:
    """GIVEN the files in chalicelib/console/static WHEN each is asked for by the path the page
    uses THEN each is served (a new file needs its name in ASSETS, not a route of its own),
    and a name outside the list is a 404, not a file read from the package."""
    from chalicelib.console import routes

    static = Path(routes.__file__).with_name("static")
    for file in sorted(p.name for p in static.iterdir()):
        path = "/" if file == "index.html" else f"/{file}"
        response = api.get(path, token="")
        assert response.status_code == 200, file
        assert response.body.decode() == (static / file).read_text("utf-8"), file
        policy = response.headers["Content-Security-Policy"]
        if file == "index.html":  # the page may post reply attachments to the mail bucket, nowhere else
            bucket = api.stack.settings.mail_bucket
            uploads = f"https://{bucket}.s3.amazonaws.com https://{bucket}.s3.us-east-1.amazonaws.com"
            policy = policy.replace(f"connect-src 'self' {uploads};", "connect-src 'self';")
        assert policy == routes.PAGE_POLICY, file
    for name in ("index.html", "routes.py", "__init__.py", "missing.js", "console.js.map"):
        answer = api.get(f"/{name}", token="")
        assert answer.status_code == 404, name
        assert answer.json_body["error"] == "not_found"


def test_an_unchanged_page_is_not_sent_again(api: Api) -> None:
    etag = api.get("/", token="").headers["ETag"]
    again = api.client.http.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.body == b""


def test_the_configuration_lists_the_mailboxes_default_first(api: Api) -> None:
    body = api.get("/console/config.json", token="").json_body
    assert body["mailboxes"] == ["support", "billing"]
    assert body["defaultMailbox"] == "support"


def test_signing_in_returns_tokens_the_api_accepts(api: Api) -> None:
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)  # ANN exists with PASSWORD

    response = _post(api, "/console/login", {"email": f"  {ANN.upper()} ", "password": PASSWORD})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json_body
    assert tokens["refresh_token"] and tokens["expires_in"] > 0
    assert api.get("/api/tickets", token=tokens["id_token"]).status_code == 200


def test_a_wrong_password_and_an_unknown_agent_read_the_same(api: Api) -> None:
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)

    wrong = _post(api, "/console/login", {"email": ANN, "password": "nope-nope-9"})
    unknown = _post(api, "/console/login", {"email": "who@example.com", "password": "nope-nope-9"})

    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json_body == unknown.json_body == {"error": "unauthorized", "reason": "wrong email or password"}
    )
    assert _post(api, "/console/login", {"email": ANN}).status_code == 400


def test_a_one_time_password_leads_to_choosing_a_new_one(api: Api) -> None:
    pool, _ = pool_of(api.stack)
    api.stack.client("cognito-idp").admin_create_user(
        UserPoolId=pool,
        Username=NEW_AGENT,
        TemporaryPassword=ONE_TIME,
        UserAttributes=[{"Name": "email", "Value": NEW_AGENT}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )

    challenge = _post(api, "/console/login", {"email": NEW_AGENT, "password": ONE_TIME}).json_body
    assert challenge["challenge"] == "NEW_PASSWORD_REQUIRED"
    chosen = _post(
        api,
        "/console/login/new-password",
        {"email": NEW_AGENT, "session": challenge["session"], "new_password": "Mine-now-and-9-long"},
    )

    assert chosen.status_code == 200, chosen.json_body
    assert api.get("/api/tickets", token=chosen.json_body["id_token"]).status_code == 200
    again = _post(api, "/console/login", {"email": NEW_AGENT, "password": "Mine-now-and-9-long"})
    assert "id_token" in again.json_body


def test_a_refresh_token_renews_the_session_and_a_bad_one_is_refused(api: Api) -> None:
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)
    tokens = _post(api, "/console/login", {"email": ANN, "password": PASSWORD}).json_body

    renewed = _post(api, "/console/login/refresh", {"refresh_token": tokens["refresh_token"]})
    refused = _post(api, "/console/login/refresh", {"refresh_token": "not-a-refresh-token"})

    assert renewed.status_code == 200
    assert api.get("/api/tickets", token=renewed.json_body["id_token"]).status_code == 200
    assert refused.status_code == 401


def _login(api: Api, email: str, password: str, cookie: str = "") -> Any:
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    return api.client.http.post(
        "/console/login", headers=headers, body=json.dumps({"email": email, "password": password})
    )


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_signing_in_goes_on_while_ssm_is_out_without_a_new_device_cookie(api: Api, kind: str) -> None:
    """SSM throttled or out, in a container that has not read the reply secrets yet: an agent
    still signs in (with her browser's cookie or without), her browser keeps the cookie it has,
    and the tokens work. It was a 500 after Cognito had said yes."""
    sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), ANN)
    cookie = _login(api, ANN, PASSWORD).headers["Set-Cookie"].split(";")[0]
    ssm = ssm_outage(kind)

    for sent in (cookie, ""):
        answer = _login(api, ANN, PASSWORD, sent)
        assert answer.status_code == 200, (answer.status_code, answer.body[:300])
        assert "Set-Cookie" not in answer.headers
        assert api.get("/api/tickets", token=answer.json_body["id_token"]).status_code == 200
    assert ssm.calls and set(ssm.calls) == {"ssm.GetParameter"}


def test_a_one_time_password_while_ssm_is_out_is_a_503_that_says_try_again(api: Api) -> None:
    """The new-password session is bound to its address under the reply secrets; without them
    the proxy hands out no session (one unbound would answer for any address)."""
    pool, _ = pool_of(api.stack)
    api.stack.client("cognito-idp").admin_create_user(
        UserPoolId=pool,
        Username=WAITING_AGENT,
        TemporaryPassword=ONE_TIME,
        UserAttributes=[
            {"Name": "email", "Value": WAITING_AGENT},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    try:
        ssm_outage()
        answer = _login(api, WAITING_AGENT, ONE_TIME)
        assert answer.status_code == 503, (answer.status_code, answer.body[:300])
        assert answer.json_body["error"] == "unavailable" and "try again" in answer.json_body["reason"]
        assert int(answer.headers["Retry-After"]) > 0 and answer.headers["Cache-Control"] == "no-store"
        assert "session" not in answer.json_body
    finally:
        api.stack.client("cognito-idp").admin_delete_user(UserPoolId=pool, Username=WAITING_AGENT)


@pytest.mark.parametrize(
    "body", ["not json", json.dumps(["a", "list"]), json.dumps({"email": 1, "password": "x"})]
)
def test_a_malformed_sign_in_is_a_bad_request(api: Api, body: str) -> None:
    assert api.call("POST", "/console/login", body, token="").status_code == 400


def test_the_stage_root_without_its_slash_redirects_to_it(api: Api) -> None:
    """GIVEN API Gateway's event for `https://<api>.execute-api.<region>.amazonaws.com/api`
    (the stage's root without a trailing slash, served by the "/" route) WHEN the API
    handler answers THEN the browser goes to `/api/`, where the page's relative links
    (console.js, api/tickets) stay inside the stage."""
    from types import SimpleNamespace

    from app import app

    event = {
        "resource": "/",
        "path": "/",
        "httpMethod": "GET",
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/",
            "httpMethod": "GET",
            "path": "/api",
            "stage": "api",
            "identity": {"sourceIp": "203.0.113.9"},
        },
    }
    answer = app(event, SimpleNamespace(aws_request_id="r-1", function_name="inbound-dev"))
    assert (answer["statusCode"], answer["headers"]["Location"]) == (308, "/api/")
    event["requestContext"]["path"] = "/api/"
    page = app(event, SimpleNamespace(aws_request_id="r-2", function_name="inbound-dev"))
    assert page["statusCode"] == 200 and "console.js" in page["body"]
