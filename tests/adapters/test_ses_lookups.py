"""The outbound guard's SES look-ups: cached per container for a short while, and a
throttled look-up is a fallback, never a failed record.

SES allows about one management call a second (GetAccount, GetSuppressedDestination,
GetIdentityVerificationAttributes); asking on every send meets that limit at the first
burst of mail. SES answers sesv2 calls through a botocore hook here (moto in-process
lacks GetAccount); the clock is the test's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.adapters.ses_sender import SesSender

REGION = "us-east-1"


class SesAnswers:
    """Answers sesv2 GetAccount / GetSuppressedDestination as SES would, or throttles them,
    and counts every SES call that reaches the service."""

    def __init__(self, session: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.production = False
        self.throttle: dict[str, str] = {}  # operation -> error code, until removed
        for service in ("ses", "sesv2"):
            session.events.register(f"before-call.{service}", self._answer)

    def _answer(self, model: Any, **_: Any) -> Any:
        self.calls[model.name] += 1
        if model.name in self.throttle:
            raise ClientError(
                {"Error": {"Code": self.throttle[model.name], "Message": "slow down"}}, model.name
            )
        if model.name == "GetAccount":
            return AWSResponse("", 200, {}, None), {"ProductionAccessEnabled": self.production}
        if model.name == "GetSuppressedDestination":
            error = {"Error": {"Code": "NotFoundException", "Message": "not on the list"}}
            return AWSResponse("", 404, {}, None), error
        return None  # moto answers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ses() -> Iterator[tuple[SesSender, SesAnswers, Clock]]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        answers, clock = SesAnswers(session), Clock()
        v1, v2 = session.client("ses"), session.client("sesv2")
        v1.verify_email_identity(EmailAddress="gina@customer.org")
        yield SesSender(v1, "inbound-test", v2_client=v2, lookup_ttl=300, clock=clock), answers, clock


def test_the_sandbox_flag_is_asked_once_per_ttl_and_a_granted_production_access_is_seen(ses):
    sender, answers, clock = ses
    assert [sender.production_access() for _ in range(20)] == [False] * 20
    assert answers.calls["GetAccount"] == 1

    answers.production = True  # AWS granted production access meanwhile
    clock.now += 301
    assert sender.production_access() is True
    assert answers.calls["GetAccount"] == 2


def test_recipient_look_ups_are_cached_per_address(ses):
    sender, answers, _ = ses
    for _ in range(10):
        assert sender.is_verified("gina@customer.org") is True
        assert sender.is_verified("hank@customer.org") is False
        assert sender.account_suppressed("hank@customer.org") == (False, "")
    # Verified is kept; not verified is asked again (an operator may verify the address now).
    assert answers.calls["GetIdentityVerificationAttributes"] == 1 + 10
    assert answers.calls["GetSuppressedDestination"] == 1


@pytest.mark.parametrize("code", ["Throttling", "TooManyRequestsException"])
def test_a_throttled_look_up_falls_back_and_is_asked_again_next_time(ses, code):
    sender, answers, _ = ses
    answers.throttle = {
        "GetAccount": code,
        "GetSuppressedDestination": code,
        "GetIdentityVerificationAttributes": code,
    }
    assert sender.production_access() is None  # SES cannot tell: the guard's own rules decide
    assert sender.account_suppressed("hank@customer.org") == (None, "")
    assert sender.is_verified("gina@customer.org") is False  # the sandbox would refuse it anyway

    answers.throttle = {}
    assert sender.production_access() is False  # the fallback was not kept
    assert sender.is_verified("gina@customer.org") is True
    assert answers.calls["GetAccount"] == answers.calls["GetIdentityVerificationAttributes"] == 2
