"""A teardown gives email feedback forwarding back on an account with more than 100 domain
identities: SES's ListIdentities returns a page (100 by default) and a NextToken, and
GetIdentityNotificationAttributes takes at most 100 identities a request.

moto returns every identity at once and takes any number, so botocore hooks on the session
give it SES's paging and its limit (moto's order is the order the identities were made).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.wiring.clients import new_session
from inbound.local import moto_fidelity
from inbound.stage.provision.run import delete, provision

REGION = "eu-west-1"
DOMAIN = "example.com"
OTHER_DOMAINS = [f"customer-{n:03}.test" for n in range(150)]
SES_PAGE = 100  # ListIdentities' default MaxItems; also GetIdentityNotificationAttributes' limit

moto_fidelity.install()


def _remember_paging(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["paging"] = (int(params.get("MaxItems") or SES_PAGE), int(params.get("NextToken") or 0))


def _one_page(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    size, start = context["paging"]
    everything = parsed["Identities"]
    parsed["Identities"] = everything[start : start + size]
    if start + size < len(everything):
        parsed["NextToken"] = str(start + size)


def _at_most_a_hundred(params: dict[str, Any], **_: Any) -> None:
    if len(params.get("Identities") or []) > SES_PAGE:
        raise ClientError(
            {"Error": {"Code": "InvalidParameterValue", "Message": "at most 100 identities"}},
            "GetIdentityNotificationAttributes",
        )


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        session = new_session(REGION)
        session.events.register("before-parameter-build.ses.ListIdentities", _remember_paging)
        session.events.register("after-call.ses.ListIdentities", _one_page)
        session.events.register(
            "before-parameter-build.ses.GetIdentityNotificationAttributes", _at_most_a_hundred
        )
        yield session


def test_teardown_finds_the_stage_domain_after_the_first_hundred_identities(session):
    """GIVEN 150 domain identities made before the stage's (so it is on ListIdentities'
    second page) WHEN the stage is provisioned and torn down THEN its domain has email
    forwarding back and no topic of the stage's."""
    ses = session.client("ses", region_name=REGION)
    for domain in OTHER_DOMAINS:
        ses.verify_domain_identity(Domain=domain)
    provision(session, "test", DOMAIN, REGION)
    first_page = ses.list_identities(IdentityType="Domain")
    assert DOMAIN not in first_page["Identities"] and first_page["NextToken"]

    torn_down = delete(session, "test", REGION)

    attributes = ses.get_identity_notification_attributes(Identities=[DOMAIN])["NotificationAttributes"][
        DOMAIN
    ]
    assert attributes["ForwardingEnabled"] is True and "BounceTopic" not in attributes
    assert [e.detail for e in torn_down.entries if e.resource == "ses-feedback-forwarding"] == [
        "email forwarding back on"
    ]
