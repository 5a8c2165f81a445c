"""The outbound guard in the SES sandbox, on in-memory ports: a recipient must be a verified
identity, an address of its own or its domain (or SES's mailbox simulator). How an address
becomes verified (`inbound identity add`, the mailed link) is tests/adapters/test_identity_cli.py."""

from __future__ import annotations

import pytest

from chalicelib.domain.refusals import RefusalReason
from chalicelib.services.outbound import OutboundService
from chalicelib.services.outbound_ports import OutboundPorts
from chalicelib.settings import Settings
from tests.fakes.mail_store import FakeMailStore
from tests.fakes.reply_claims import FakeReplyClaims
from tests.fakes.sender import FakeSender
from tests.fakes.suppression_table import FakeSuppressionTable
from tests.fakes.tickets import FakeTickets


def guard(sender: FakeSender) -> OutboundService:
    table = FakeSuppressionTable()
    ports = OutboundPorts(
        sender=sender,
        suppression_list=table.suppression_list,
        auto_replies=table.auto_replies,
        acknowledgements=table.acknowledgements,
        send_ledger=table.send_ledger,
        counters=table.counters,
        tickets=FakeTickets(),
        store=FakeMailStore(),
        presign=lambda attachment: "",
        reply_secrets=lambda: (b"k" * 32,),
        public_url=lambda: "https://support.example.com/api",
        reply_claims=FakeReplyClaims(),
    )
    return OutboundService(Settings(ses_sandbox="auto"), ports)


@pytest.fixture
def in_the_sandbox() -> OutboundService:
    # GIVEN an account in the sandbox with the stage's domain, one customer's address and a
    # partner's whole domain verified
    return guard(FakeSender(verified={"example.com", "gina@customer.org", "partner.org"}, production=False))


@pytest.mark.parametrize(
    "recipient", ["gina@customer.org", "anyone@partner.org", "bounce@simulator.amazonses.com"]
)
def test_in_the_sandbox_a_verified_address_or_domain_may_be_mailed(in_the_sandbox, recipient):
    decision = in_the_sandbox.check(recipient, automatic=False)
    assert decision.allowed, decision.detail


def test_in_the_sandbox_another_address_of_a_verified_address_domain_is_refused(in_the_sandbox):
    # gina@customer.org is verified, customer.org is not: hank there is not
    decision = in_the_sandbox.check("hank@customer.org", automatic=False)
    assert not decision.allowed
    assert decision.reason == RefusalReason.SANDBOX
    assert "hank@customer.org is not a verified identity" in decision.detail


def test_out_of_the_sandbox_unverified_recipients_may_be_mailed():
    service = guard(FakeSender(verified={"example.com"}, production=True))
    assert service.check("hank@customer.org", automatic=False).allowed
