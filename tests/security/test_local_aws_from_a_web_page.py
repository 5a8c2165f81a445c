"""The local stack's embedded AWS answers its own clients and no web page.

GIVEN moto's server as `inbound up` runs it, WHEN a browser-shaped request arrives (an
Origin, a preflight, a form POST without a signature, a rebinding Host) THEN it is
refused and no answer carries Access-Control-Allow-Origin; signed SDK requests and
Cognito's unsigned sign-in still work.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import boto3
import pytest

from inbound.local.embedded import REGION, moto_server, offline_credentials


@pytest.fixture(scope="module")
def endpoint():
    offline_credentials()
    with moto_server() as url:
        yield url


def _request(
    endpoint: str, method: str, path: str, headers: dict[str, str], body: str = ""
) -> http.client.HTTPResponse:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _client(endpoint: str, name: str):
    return boto3.session.Session(region_name=REGION).client(name, region_name=REGION, endpoint_url=endpoint)


def test_the_endpoint_listens_on_loopback_only(endpoint: str) -> None:
    assert urlsplit(endpoint).hostname == "127.0.0.1"


def test_a_signed_sdk_request_is_served(endpoint: str) -> None:
    s3 = _client(endpoint, "s3")
    s3.create_bucket(Bucket="guarded")
    s3.put_object(Bucket="guarded", Key="k", Body=b"secret mail")
    assert s3.get_object(Bucket="guarded", Key="k")["Body"].read() == b"secret mail"
    # A presigned link (the console's attachment links) carries its credential in the query.
    link = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "guarded", "Key": "k"}))
    assert _request(endpoint, "GET", f"{link.path}?{link.query}", {"Host": link.netloc}).status == 200


def test_a_request_from_a_web_page_gets_no_cors_answer(endpoint: str) -> None:
    s3 = _client(endpoint, "s3")
    s3.create_bucket(Bucket="readable")
    link = urlsplit(s3.generate_presigned_url("list_objects_v2", Params={"Bucket": "readable"}))
    host = urlsplit(endpoint).netloc
    page = {"Host": host, "Origin": "http://evil.test"}
    answered = _request(endpoint, "GET", f"{link.path}?{link.query}", page)
    assert answered.status == 403
    assert answered.getheader("Access-Control-Allow-Origin") is None
    preflight = _request(endpoint, "OPTIONS", "/", {**page, "Access-Control-Request-Method": "POST"})
    assert preflight.status == 403
    assert preflight.getheader("Access-Control-Allow-Origin") is None


def test_an_unsigned_form_post_changes_nothing(endpoint: str) -> None:
    """A page's form POST (no Origin from some browsers, no signature) cannot create a topic."""
    host = urlsplit(endpoint).netloc
    form = "Action=CreateTopic&Name=planted&Version=2010-03-31"
    headers = {"Host": host, "Content-Type": "application/x-www-form-urlencoded"}
    assert _request(endpoint, "POST", "/", headers, form).status == 403
    topics = _client(endpoint, "sns").list_topics()["Topics"]
    assert not [t for t in topics if t["TopicArn"].endswith(":planted")]


def test_a_rebinding_host_is_refused(endpoint: str) -> None:
    s3 = _client(endpoint, "s3")
    s3.create_bucket(Bucket="rebound")
    link = urlsplit(s3.generate_presigned_url("list_objects_v2", Params={"Bucket": "rebound"}))
    port = urlsplit(endpoint).port
    assert _request(endpoint, "GET", f"{link.path}?{link.query}", {"Host": f"evil.test:{port}"}).status == 403


def test_unsigned_cognito_sign_in_still_reaches_moto(endpoint: str) -> None:
    """InitiateAuth is unsigned in AWS too; its X-Amz-Target is what lets it through."""
    idp = _client(endpoint, "cognito-idp")
    pool = idp.create_user_pool(PoolName="guarded")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "nobody@example.com", "PASSWORD": json.dumps("x")},
        )


def test_an_image_tag_on_a_web_page_reaches_nothing(endpoint: str) -> None:
    """`<img src="http://127.0.0.1:PORT/bucket?list-type=2&X-Amz-Credential=x">` on evil.test:
    a no-cors GET carries no Origin, and the presigned marker costs the page nothing to add
    (no signature is checked). The browser names the request's site in Sec-Fetch-Site."""
    s3 = _client(endpoint, "s3")
    s3.create_bucket(Bucket="imaged")
    s3.put_object(Bucket="imaged", Key="mail.eml", Body=b"secret mail")
    host = urlsplit(endpoint).netloc
    tag = {
        "Host": host,
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "no-cors",
        "Sec-Fetch-Dest": "image",
    }
    for path in ("/imaged?list-type=2&X-Amz-Credential=x", "/imaged/mail.eml?X-Amz-Credential=x"):
        assert _request(endpoint, "GET", path, tag).status == 403
    # The console's own links (another port of the same host: same-site) still open.
    link = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "imaged", "Key": "mail.eml"}))
    console = {"Host": link.netloc, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "document"}
    assert _request(endpoint, "GET", f"{link.path}?{link.query}", console).status == 200
