"""`inbound secret rotate`: addresses signed before a rotation keep threading; warm
containers move to the new secret within the cache's lifetime.

GIVEN a provisioned stage and a container that already read the secret,
WHEN the operator rotates it, THEN the old reply address still verifies everywhere and,
once the cache expires, the container signs with the new value.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.ssm_secrets import SsmReplySecrets
from chalicelib.domain.reply_tokens import read_token, reply_address
from inbound.cli import main
from inbound.stage.provision.run import provision

REGION = "eu-west-1"
PARAMETER = "/inbound/test/reply-token-secret"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def valid(secrets: tuple[bytes, ...], address: str) -> str | None:
    """The ticket id a reply address proves, or None when its signature does not hold."""
    claim = read_token(secrets, address)
    return claim.ticket_id if claim and claim.valid else None


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        provision(session, "test", "example.com", REGION)
        yield session


def test_rotation_from_the_cli_keeps_old_addresses_threading(session, capsys):
    clock = Clock()
    secrets = SsmReplySecrets(session.client("ssm", region_name=REGION), PARAMETER, ttl=300, clock=clock)
    before = secrets()
    old_address = reply_address(before[0], "support@example.com", "T-1001")

    assert main(["secret", "rotate", "--stage", "test", "--region", REGION]) == 0
    out = capsys.readouterr().out
    assert f"{PARAMETER}-previous" in out and "created" in out

    clock.now += 299  # still cached: the container signs and verifies with what it read
    assert secrets() == before
    clock.now += 1
    after = secrets()

    assert after[0] != before[0] and after[1:] == (before[0],)
    assert valid(after, old_address) == "T-1001"
    new_address = reply_address(after[0], "support@example.com", "T-1002")
    assert valid(after, new_address) == "T-1002"
    assert valid(before, new_address) is None  # why the cache must not live forever


def test_rotating_twice_drops_the_oldest_secret(session):
    ssm = session.client("ssm", region_name=REGION)
    first = SsmReplySecrets(ssm, PARAMETER)()[0]
    address = reply_address(first, "support@example.com", "T-7")

    main(["secret", "rotate", "--stage", "test", "--region", REGION])
    main(["secret", "rotate", "--stage", "test", "--region", REGION])

    assert valid(SsmReplySecrets(ssm, PARAMETER)(), address) is None
