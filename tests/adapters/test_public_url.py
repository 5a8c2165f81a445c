"""A deployed stage's links in mail name its own API, never 127.0.0.1 (moto's SSM).

GIVEN a function of a deployed stage (AWS_LAMBDA_FUNCTION_NAME set, no INBOUND_PUBLIC_URL)
WHEN it mints a link to a file before anything told the stage its URL THEN it refuses
(PublicUrlMissing: the mail is not sent with a dead link); after `inbound provision`
(or its --after-deploy) found the API `chalice deploy` made, the link names that API; a custom
domain (`--public-url`, or INBOUND_PUBLIC_URL) wins; a loopback INBOUND_PUBLIC_URL on
Lambda is refused too; `inbound up` and the tests (no Lambda) keep the local default.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.domain.tickets import StoredAttachment
from chalicelib.errors import PublicUrlMissing
from chalicelib.settings import Settings
from chalicelib.wiring import build_services
from inbound.cli import main
from inbound.stage.provision.run import provision

REGION = "eu-west-1"
STAGE = "test"
ON_LAMBDA = {
    "AWS_LAMBDA_FUNCTION_NAME": f"inbound-{STAGE}-send_reply",
    "INBOUND_STAGE": STAGE,
    "AWS_REGION": REGION,
}
REPORT = StoredAttachment(
    0, "report.pdf", "report.pdf", "attachments/T-1/m/0-report.pdf", "", "", 1, "", False
)


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        provision(session, STAGE, "example.com", REGION)
        yield session


def link(session: boto3.session.Session, **env: str) -> str:
    """The file link a fresh container of the stage would put in a reply."""
    return build_services(Settings.from_env({**ON_LAMBDA, **env}), session).file_links.url(REPORT)


def chalice_deployed(project: Path, rest_api_id: str) -> Path:
    """The project as `chalice deploy` leaves it: the API it made in .chalice/deployed/."""
    (project / ".chalice" / "deployed").mkdir(parents=True)
    (project / ".chalice" / "config.json").write_text(
        json.dumps({"app_name": "inbound", "stages": {STAGE: {"api_gateway_stage": "api"}}})
    )
    api = {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": rest_api_id}
    (project / ".chalice" / "deployed" / f"{STAGE}.json").write_text(json.dumps({"resources": [api]}))
    return project


def test_a_deployed_function_mints_no_link_until_provision_tells_it_the_apis_url(session, tmp_path):
    with pytest.raises(PublicUrlMissing, match="inbound provision"):
        link(session)

    apigateway = session.client("apigateway")
    api_id = apigateway.create_rest_api(name="inbound")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]  # a method, as Chalice's has
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    project = chalice_deployed(tmp_path, api_id)
    args = ["provision", "--stage", STAGE, "--domain", "example.com", "--region", REGION]
    assert main([*args, "--project-dir", str(project)]) == 0

    assert link(session).startswith(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/api/files/")


def test_a_custom_domain_wins_and_a_loopback_url_on_lambda_is_refused(session, tmp_path):
    assert link(session, INBOUND_PUBLIC_URL="https://help.example.com/").startswith(
        "https://help.example.com/files/"
    )
    with pytest.raises(PublicUrlMissing):
        link(session, INBOUND_PUBLIC_URL="http://127.0.0.1:8000")

    custom = ["--public-url", "https://help.example.com", "--project-dir", str(tmp_path)]
    assert main(["provision", "--stage", STAGE, "--region", REGION, *custom]) == 0
    assert link(session).startswith("https://help.example.com/files/")


def test_off_lambda_the_local_default_stays(session):
    settings = Settings.from_env({"INBOUND_STAGE": STAGE, "AWS_REGION": REGION})
    assert build_services(settings, session).file_links.url(REPORT).startswith("http://127.0.0.1:8000/files/")
