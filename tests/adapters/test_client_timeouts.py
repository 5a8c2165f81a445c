"""A hung SSM cannot hold a staff request past API Gateway's limit.

GIVEN the clients the wiring builds, WHEN SSM accepts a connection and never answers,
THEN botocore gives up on it (every attempt, connecting and reading) well inside API
Gateway's 29 seconds, so a container's first sign-in, which reads the reply secrets before
it asks Cognito, falls back to the stricter limits (adapters/ssm_secrets.py) instead of
timing out at the gateway. With the general settings (5 requests of 5 + 60 s) it was 325 s.
"""

from __future__ import annotations

from chalicelib.settings import Settings
from chalicelib.wiring.clients import API_GATEWAY_LIMIT_SECONDS, client, new_session


def _worst_case(built) -> float:
    config = built.meta.config
    return config.retries["total_max_attempts"] * (config.connect_timeout + config.read_timeout)


def test_an_ssm_read_gives_up_inside_api_gateways_limit_with_room_for_cognito():
    settings = Settings(region="eu-west-1")
    ssm = client(new_session("eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"), "ssm", settings)
    assert ssm.meta.config.retries["mode"] == "standard"  # retries timeouts and throttling alike
    assert _worst_case(ssm) <= API_GATEWAY_LIMIT_SECONDS / 2, _worst_case(ssm)


def test_the_other_clients_keep_their_retries():
    settings = Settings(region="eu-west-1")
    dynamodb = client(
        new_session("eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"), "dynamodb", settings
    )
    assert dynamodb.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
