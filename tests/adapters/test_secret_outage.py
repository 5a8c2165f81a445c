"""The reply secrets while SSM fails: a container keeps what it read, for a bounded time,
and says "try again" when it has nothing; a rotation still takes effect once SSM answers.

GIVEN SSM (moto) holding the secret and its previous value, and a container's reader on a
session whose every SSM call fails on purpose (a 500 InternalError, or a read timeout),
WHEN the reader is asked for the secrets, THEN a warm reader answers with what it read
until `stale` seconds after that read, asking SSM at most once every `retry` seconds, and
a cold one raises SecretsUnavailable (the sign-in proxy's fallback, the API's 503) instead
of botocore's error.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.ssm_secrets import SsmReplySecrets
from chalicelib.errors import ConfigurationError, SecretsUnavailable
from tests.support.fault_injection import FaultInjector

REGION = "eu-west-1"
PARAMETER = "/inbound/test/reply-token-secret"
TTL, STALE, RETRY = 300.0, 900.0, 15.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ssm_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        ssm = session.client("ssm", region_name=REGION)
        ssm.put_parameter(Name=PARAMETER, Value="current-secret", Type="SecureString")
        ssm.put_parameter(Name=PARAMETER + "-previous", Value="previous-secret", Type="SecureString")
        yield session


def reader(
    session: boto3.session.Session, kind: str = "error"
) -> tuple[SsmReplySecrets, FaultInjector, Clock]:
    """A container's reader whose SSM calls fail from `injector.fail_from` on."""
    injector = FaultInjector(session, kind, calls="ssm.*")  # before the client: it copies the session's hooks
    clock = Clock()
    client = session.client("ssm", region_name=REGION)
    return SsmReplySecrets(client, PARAMETER, TTL, clock, stale=STALE, retry=RETRY), injector, clock


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_a_warm_container_keeps_its_secrets_through_an_outage_then_says_try_again(ssm_session, kind):
    secrets, injector, clock = reader(ssm_session, kind)
    read = secrets()
    assert read == (b"current-secret", b"previous-secret")
    injector.fail_from = len(injector.calls)

    clock.now += TTL  # due for a read: SSM fails, the container keeps what it has
    assert secrets() == read
    asked = len(injector.calls)
    clock.now += RETRY - 1
    assert secrets() == read and len(injector.calls) == asked, "asked SSM again within the retry pause"
    clock.now += 1
    assert secrets() == read and len(injector.calls) == asked + 1

    clock.now = 1000.0 + STALE  # the read is too old to keep: try again, not an old secret
    with pytest.raises(SecretsUnavailable, match="try again") as unavailable:
        secrets()
    assert 0 < unavailable.value.retry_after <= RETRY


def test_a_rotation_still_takes_effect_once_ssm_answers_again(ssm_session):
    secrets, injector, clock = reader(ssm_session)
    before = secrets()
    injector.fail_from = len(injector.calls)
    clock.now += TTL
    assert secrets() == before

    injector.fail_from = None  # SSM is back, and the secret was rotated meanwhile
    ssm = ssm_session.client("ssm", region_name=REGION)
    ssm.put_parameter(
        Name=PARAMETER + "-previous", Value="current-secret", Type="SecureString", Overwrite=True
    )
    ssm.put_parameter(Name=PARAMETER, Value="rotated-secret", Type="SecureString", Overwrite=True)
    clock.now += RETRY
    assert secrets() == (b"rotated-secret", b"current-secret")


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_a_cold_container_says_when_to_try_again_and_asks_ssm_once_per_pause(ssm_session, kind):
    secrets, injector, clock = reader(ssm_session, kind)
    injector.fail_from = len(injector.calls)
    with pytest.raises(SecretsUnavailable) as first:
        secrets()
    assert first.value.retry_after == RETRY
    asked = len(injector.calls)
    clock.now += 10
    with pytest.raises(SecretsUnavailable) as second:
        secrets()
    assert second.value.retry_after == RETRY - 10 and len(injector.calls) == asked

    injector.fail_from = None
    clock.now += 5
    assert secrets() == (b"current-secret", b"previous-secret")


def test_a_missing_secret_is_still_a_configuration_error_not_an_outage(ssm_session):
    ssm_session.client("ssm", region_name=REGION).delete_parameter(Name=PARAMETER)
    secrets, _, _ = reader(ssm_session)
    with pytest.raises(ConfigurationError, match="run inbound provision"):
        secrets()
