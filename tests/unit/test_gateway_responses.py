"""The stage's API Gateway answers an unknown route 404 with a fixed body, as `inbound up` does."""

from __future__ import annotations

import json

from inbound.stage.cfn_template import REST_API, merge_template, template_names
from inbound.stage.gateway_responses import NOT_FOUND


def _gateway_responses() -> dict:
    template = merge_template(
        template_names("prod", "acme-support.test"),
        mailboxes=["support"],
        ingest_function_timeout=60,
        feedback_function_timeout=30,
    )
    body = template["Resources"][REST_API]["Properties"]["DefinitionBody"]
    return dict(body["x-amazon-apigateway-gateway-responses"])


def test_a_missing_route_is_a_404_with_the_local_stacks_body():
    missing = _gateway_responses()["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    assert json.loads(missing["responseTemplates"]["application/json"]) == NOT_FOUND


def test_no_gateway_response_quotes_the_error_message_which_quotes_the_authorization_header():
    for kind, response in _gateway_responses().items():
        template = response["responseTemplates"]["application/json"]
        assert "$context.error.message" not in template, kind
        assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == "'application/json'"
