"""The outbound guard also reads the SES account's own rates (CloudWatch AWS/SES
Reputation.BounceRate / ComplaintRate), which count every sender in the account.

GIVEN this stage sent nothing that bounced, but the account's bounce rate as SES
publishes it is 4.5 % WHEN a new ticket arrives THEN its acknowledgement is held (paused)
and a staff reply goes out with the reason. CloudWatch answers through a botocore hook
(GetMetricData); one answer serves a container for five minutes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from chalicelib.adapters.cloudwatch_reputation import AccountReputation
from chalicelib.domain.reputation import GuardState, Thresholds, with_account
from chalicelib.wiring import build_services
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail


class CloudWatchAnswers:
    def __init__(self, session: Any, bounce: list[float], complaint: list[float]) -> None:
        self.calls = 0
        self.values = {"bounce": bounce, "complaint": complaint}
        self.refuse = ""
        session.events.register("before-call.cloudwatch.GetMetricData", self._answer)

    def _answer(self, params: Any, **_: Any) -> Any:
        self.calls += 1
        if self.refuse:
            raise ClientError({"Error": {"Code": self.refuse, "Message": "no"}}, "GetMetricData")
        results = [{"Id": key, "Values": values} for key, values in self.values.items()]
        return AWSResponse("", 200, {}, None), {"MetricDataResults": results}


def test_the_accounts_bounce_rate_pauses_acknowledgements_even_when_the_stage_is_clean(stack):
    session = boto3.session.Session(region_name="us-east-1")
    CloudWatchAnswers(session, bounce=[0.045, 0.01], complaint=[])
    svc = build_services(replace(stack.settings, acknowledge_new_tickets=True), session)
    sent: list[Any] = []
    svc.outbound.ports.sender.client.meta.events.register(
        "before-call.ses.SendRawEmail", lambda **_: sent.append(1)
    )

    outcome = deliver_via(svc, make_mail(sender="dora@else.org"))

    assert outcome.outcome == "created" and sent == []
    reply = svc.outbound.reply(outcome.ticket, "agent", "We are on it")
    assert len(sent) == 1 and "the account's SES rates: bounces 4.50%" in reply.reason


def test_the_rates_are_asked_once_per_five_minutes_and_unknown_when_cloudwatch_refuses():
    session = boto3.session.Session(region_name="us-east-1")
    answers = CloudWatchAnswers(session, bounce=[0.01], complaint=[0.0002])
    now = [0.0]
    reputation = AccountReputation(session.client("cloudwatch"), clock=lambda: now[0])
    assert [reputation.rates() for _ in range(5)] == [(0.01, 0.0002)] * 5 and answers.calls == 1
    answers.refuse, now[0] = "Throttling", 301.0
    assert reputation.rates() == (None, None) and answers.calls == 2


def test_the_stricter_of_stage_and_account_decides():
    limits = Thresholds()
    clean = GuardState("ok", 0.0, 0.0, 500, 3, "bounces 0.00%")
    assert with_account(clean, None, None, limits) is clean
    assert with_account(clean, 0.03, None, limits).state == "warning"
    assert with_account(clean, 0.01, 0.0009, limits).state == "paused"
    paused = replace(clean, state="paused", note="the stage's own")
    assert with_account(paused, 0.03, 0.0, limits) is paused  # never relaxes the stage's state
