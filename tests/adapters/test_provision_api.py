"""After `chalice deploy`, provision sets the REST API's gateway responses (moto's API Gateway).

GIVEN a stage's REST API as `chalice deploy` records it in `.chalice/deployed/<stage>.json`,
WHEN `inbound provision` runs THEN an unknown route is a 404 with the fixed body, no default
response quotes the error message (which quotes the Authorization header), and the API stage
is deployed again; a second run changes nothing and deploys nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from inbound.stage.gateway_responses import NOT_FOUND
from inbound.stage.provision.api import deployed_rest_api
from inbound.stage.provision.run import provision

REGION = "eu-west-1"


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


def _chalice_project(tmp_path: Path, rest_api_id: str) -> Path:
    (tmp_path / ".chalice" / "deployed").mkdir(parents=True)
    (tmp_path / ".chalice" / "config.json").write_text(
        json.dumps({"app_name": "inbound", "stages": {"test": {"api_gateway_stage": "api"}}})
    )
    deployed = {
        "schema_version": "2.0",
        "backend": "api",
        "resources": [
            {"name": "api_handler", "resource_type": "lambda_function", "lambda_arn": "arn:aws:lambda:x"},
            {
                "name": "rest_api",
                "resource_type": "rest_api",
                "rest_api_id": rest_api_id,
                "rest_api_url": "u",
            },
        ],
    }
    (tmp_path / ".chalice" / "deployed" / "test.json").write_text(json.dumps(deployed))
    return tmp_path


def test_provision_sets_the_gateway_responses_of_the_deployed_api_once(session, tmp_path):
    apigateway = session.client("apigateway")
    api_id = apigateway.create_rest_api(name="inbound")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]  # a method, as Chalice's has
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    rest_api = deployed_rest_api(_chalice_project(tmp_path, api_id), "test")
    assert rest_api == (api_id, "api")

    first = provision(session, "test", "example.com", REGION, rest_api=rest_api)
    missing = apigateway.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert missing["statusCode"] == "404"
    assert json.loads(missing["responseTemplates"]["application/json"]) == NOT_FOUND
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        template = apigateway.get_gateway_response(restApiId=api_id, responseType=kind)["responseTemplates"]
        assert "$context.error.message" not in template["application/json"]
    assert first.action("apigateway-gateway-responses") == "changed"
    assert len(apigateway.get_deployments(restApiId=api_id)["items"]) == 1

    # The console (served by this API) may post reply attachments to the bucket, and no other page.
    bucket = first.outputs["INBOUND_MAIL_BUCKET"]
    [rule] = session.client("s3").get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == [f"https://{api_id}.execute-api.{REGION}.amazonaws.com"]
    assert rule["AllowedMethods"] == ["POST"]
    assert first.action("s3-bucket-cors") == "changed"

    second = provision(session, "test", "example.com", REGION, rest_api=rest_api)
    assert second.action("s3-bucket-cors") == "unchanged"
    assert second.action("apigateway-gateway-responses") == "unchanged"
    assert len(apigateway.get_deployments(restApiId=api_id)["items"]) == 1


def test_a_project_never_deployed_with_chalice_has_no_api_to_set(tmp_path):
    assert deployed_rest_api(tmp_path, "test") is None
