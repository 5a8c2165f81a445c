"""Each outbound port twice: the in-memory fake and the DynamoDB/SES adapter on moto.

A contract test takes one of these fixtures and runs once per implementation, so a fake
cannot promise what its adapter does not do.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from tests.fakes.announcements import FakeAnnouncementStore
from tests.fakes.reply_claims import FakeReplyClaims
from tests.fakes.sender import FakeSender
from tests.fakes.suppression_table import FakeSuppressionTable
from tests.support.dynamodb_tables import pk_sk_table

TABLE = "contract"
REGION = "us-east-1"


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture(params=["fake", "dynamodb"])
def suppression_table(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    """The suppression table's ports, sharing one table (or one fake's state)."""
    if request.param == "fake":
        yield FakeSuppressionTable()
        return
    from chalicelib.adapters.dynamodb_acknowledgements import DynamoDBAcknowledgements
    from chalicelib.adapters.dynamodb_auto_replies import DynamoDBAutoReplies
    from chalicelib.adapters.dynamodb_feedback_ledger import DynamoDBFeedbackLedger
    from chalicelib.adapters.dynamodb_reputation_counters import DynamoDBReputationCounters
    from chalicelib.adapters.dynamodb_send_ledger import DynamoDBSendLedger
    from chalicelib.adapters.dynamodb_suppression_list import DynamoDBSuppressionList

    session = request.getfixturevalue("aws")
    pk_sk_table(session.client("dynamodb"), TABLE)
    db = session.client("dynamodb")
    yield SimpleNamespace(
        suppression_list=DynamoDBSuppressionList(db, TABLE),
        counters=DynamoDBReputationCounters(db, TABLE),
        feedback_ledger=DynamoDBFeedbackLedger(db, TABLE),
        send_ledger=DynamoDBSendLedger(db, TABLE),
        auto_replies=DynamoDBAutoReplies(db, TABLE),
        acknowledgements=DynamoDBAcknowledgements(db, TABLE),
    )


@pytest.fixture(params=["fake", "dynamodb"])
def announcement_store(request: pytest.FixtureRequest):
    if request.param == "fake":
        return FakeAnnouncementStore()
    from chalicelib.adapters.dynamodb_announcements import DynamoDBAnnouncements

    session = request.getfixturevalue("aws")
    pk_sk_table(session.client("dynamodb"), TABLE)
    return DynamoDBAnnouncements(session.client("dynamodb"), TABLE)


@pytest.fixture(params=["fake", "ses"])
def sender(request: pytest.FixtureRequest):
    """A sender whose verified identities are example.com and owner@example.org."""
    if request.param == "fake":
        return FakeSender(verified={"example.com", "owner@example.org"})
    from chalicelib.adapters.ses_sender import SesSender

    session = request.getfixturevalue("aws")
    ses = session.client("ses")
    ses.verify_domain_identity(Domain="example.com")
    ses.verify_email_identity(EmailAddress="owner@example.org")
    return SesSender(ses, configuration_set="")


@pytest.fixture(params=["fake", "dynamodb"])
def reply_claims(request: pytest.FixtureRequest):
    if request.param == "fake":
        return FakeReplyClaims()
    from chalicelib.adapters.dynamodb_reply_claims import DynamoDBReplyClaims

    session = request.getfixturevalue("aws")
    pk_sk_table(session.client("dynamodb"), TABLE)
    return DynamoDBReplyClaims(session.client("dynamodb"), TABLE)
