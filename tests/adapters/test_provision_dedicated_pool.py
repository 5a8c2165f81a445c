"""`inbound provision --dedicated-pool NAME [--managed]` against moto (+ inbound/local/moto_sesv2.py).

GIVEN a provisioned stage, WHEN provision runs with a dedicated pool, THEN the pool exists
in the scaling mode asked for, a standard pool holds the account's free leased IPs, the
announcements' configuration set sends from it (and the transactional set does not), a
second run changes nothing, and `--delete` removes only a pool this stage made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer
from moto.ses.models import ses_backends

from chalicelib.wiring.clients import new_session
from inbound.local.moto_sesv2 import lease_dedicated_ips
from inbound.stage.provision.context import ProvisionError
from inbound.stage.provision.run import delete, provision

REGION = "eu-west-1"
STAGE = "test"
DOMAIN = "example.com"
ACCOUNT = "123456789012"  # moto's default account
ANNOUNCEMENTS = "inbound-test-announcements"


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield new_session(REGION)


def sesv2(session: boto3.session.Session) -> Any:
    return session.client("sesv2", region_name=REGION)


def sending_pool(session: boto3.session.Session, set_name: str) -> str | None:
    options = sesv2(session).get_configuration_set(ConfigurationSetName=set_name).get("DeliveryOptions") or {}
    return options.get("SendingPoolName")


def lease(warmup: dict[str, int]) -> None:
    lease_dedicated_ips(ses_backends[ACCOUNT][REGION], warmup)


def test_a_standard_pool_takes_the_leased_ips_and_announcements_send_from_it(session):
    lease({"198.51.100.1": 20, "198.51.100.2": 100})
    report = provision(session, STAGE, DOMAIN, REGION, dedicated_pool="bulk")

    pool = sesv2(session).get_dedicated_ip_pool(PoolName="bulk")["DedicatedIpPool"]
    assert pool["ScalingMode"] == "STANDARD"
    ips = sesv2(session).get_dedicated_ips(PoolName="bulk")["DedicatedIps"]
    assert {ip["Ip"]: ip["WarmupPercentage"] for ip in ips} == {"198.51.100.1": 20, "198.51.100.2": 100}
    assert sending_pool(session, ANNOUNCEMENTS) == "bulk"
    assert sending_pool(session, "inbound-test") is None  # transactional mail stays apart
    assert report.outputs["INBOUND_WARMUP_POOL"] == "bulk"

    again = provision(session, STAGE, DOMAIN, REGION, dedicated_pool="bulk")
    assert again.action("ses-dedicated-ip-pool", "bulk") == "unchanged"
    assert again.action("ses-delivery-options", ANNOUNCEMENTS) == "unchanged"
    # A run without the option keeps the pool and its warm-up in the stage's settings.
    plain = provision(session, STAGE, DOMAIN, REGION)
    assert plain.action("ses-dedicated-ip-pool", "bulk") == "kept"
    assert plain.outputs["INBOUND_WARMUP_POOL"] == "bulk"


def test_a_managed_pool_needs_no_leased_ip_and_no_warm_up(session):
    report = provision(session, STAGE, DOMAIN, REGION, dedicated_pool="bulk", managed_pool=True)
    pool = sesv2(session).get_dedicated_ip_pool(PoolName="bulk")["DedicatedIpPool"]
    assert pool["ScalingMode"] == "MANAGED"
    assert sending_pool(session, ANNOUNCEMENTS) == "bulk"
    assert "INBOUND_WARMUP_POOL" not in report.outputs  # SES warms a managed pool up itself


def test_a_standard_pool_without_leased_ips_is_refused_before_anything_is_made(session):
    provision(session, STAGE, DOMAIN, REGION)
    with pytest.raises(ProvisionError, match="--managed"):
        provision(session, STAGE, DOMAIN, REGION, dedicated_pool="bulk")
    assert sesv2(session).list_dedicated_ip_pools()["DedicatedIpPools"] == []


def test_a_pool_of_the_other_scaling_mode_is_refused(session):
    provision(session, STAGE, DOMAIN, REGION, dedicated_pool="bulk", managed_pool=True)
    lease({"198.51.100.1": 50})
    with pytest.raises(ProvisionError, match="exists as MANAGED"):
        provision(session, STAGE, DOMAIN, REGION, dedicated_pool="bulk")


def test_delete_removes_the_stages_pool_and_keeps_an_operators(session):
    lease({"198.51.100.1": 50})
    provision(session, STAGE, DOMAIN, REGION, dedicated_pool="bulk")
    report = delete(session, STAGE, REGION)
    assert report.action("ses-dedicated-ip-pool", "bulk") == "deleted"
    assert sesv2(session).list_dedicated_ip_pools()["DedicatedIpPools"] == []
    # Its IP is the account's lease: it goes back to SES's default pool, not away.
    (ip,) = sesv2(session).get_dedicated_ips()["DedicatedIps"]
    assert ip["PoolName"] == "ses-default-dedicated-pool"

    sesv2(session).create_dedicated_ip_pool(PoolName="operators", ScalingMode="MANAGED")
    provision(session, STAGE, DOMAIN, REGION, dedicated_pool="operators", managed_pool=True)
    report = delete(session, STAGE, REGION)
    assert report.action("ses-dedicated-ip-pool", "operators") == "kept"
    assert sesv2(session).list_dedicated_ip_pools()["DedicatedIpPools"] == ["operators"]


def test_against_a_moto_server_as_inbound_up_uses_it():
    """The emulated calls are routed by moto's server too (not only by the in-process mock)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint, session = f"http://{host}:{port}", boto3.session.Session(region_name="us-east-1")
        lease_dedicated_ips(ses_backends[ACCOUNT]["us-east-1"], {"203.0.113.9": 30})
        first = provision(session, "local", DOMAIN, "us-east-1", endpoint_url=endpoint, dedicated_pool="bulk")
        second = provision(
            session, "local", DOMAIN, "us-east-1", endpoint_url=endpoint, dedicated_pool="bulk"
        )
        assert first.action("ses-dedicated-ip", "203.0.113.9") == "moved"
        assert {e.action for e in second.entries} == {"unchanged"}
        sesv2 = session.client("sesv2", region_name="us-east-1", endpoint_url=endpoint)
        (ip,) = sesv2.get_dedicated_ips(PoolName="bulk")["DedicatedIps"]
        assert (ip["Ip"], ip["WarmupStatus"], ip["WarmupPercentage"]) == ("203.0.113.9", "IN_PROGRESS", 30)
        gone = delete(session, "local", "us-east-1", endpoint_url=endpoint, keep_data=False)
        assert gone.action("ses-dedicated-ip-pool", "bulk") == "deleted"
    finally:
        server.stop()
        ses_backends[ACCOUNT]["us-east-1"].__dict__.pop("v2_dedicated_ips", None)  # the lease, emulated
