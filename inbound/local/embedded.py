"""An in-process embedded AWS (moto) provisioned exactly as `inbound provision` does it.

Used by `inbound process` and by the tests; `inbound up` runs moto's server
instead, so that several processes share one stack.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.settings import Settings
from chalicelib.wiring import Services, build_services
from chalicelib.wiring.clients import new_session
from inbound.local import (
    aws_contract,
    moto_cognito,
    moto_fidelity,
    moto_serialize,
    moto_ses_receiving,
    moto_sesv2,
    moto_speed,
    moto_validation,
    ses_identities,
    ses_tracking,
    shared_models,
)

REGION = "us-east-1"


def offline_credentials() -> None:
    """Credentials that moto accepts and real AWS refuses, set before any client exists."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "embedded"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    os.environ.pop("AWS_PROFILE", None)


def emulated_aws() -> None:
    """moto as the embedded stack needs it, and the AWS contract on every session from now on:
    locally, requests AWS would refuse fail as they would in an account (inbound/local/aws_contract/)."""
    from inbound.local.ses_account_api import serve_account_api

    moto_fidelity.install()
    moto_speed.install()
    moto_validation.install()
    moto_serialize.install()
    moto_sesv2.install()
    moto_ses_receiving.install()
    moto_cognito.install()
    ses_identities.install()
    ses_tracking.install()
    serve_account_api()
    # After moto_speed: moto.ec2's import parses EC2's large model once and drops it.
    shared_models.install()
    aws_contract.install()


@dataclass
class EmbeddedStack:
    session: Any
    settings: Settings
    services: Services
    outputs: dict[str, str]

    @property
    def ingest(self) -> Any:
        return self.services.ingest

    @property
    def tickets(self) -> Any:
        return self.services.ingest.ports.tickets

    @property
    def deliveries(self) -> Any:
        return self.services.ingest.ports.deliveries

    @property
    def suspended(self) -> Any:
        return self.services.ingest.ports.suspended

    @property
    def store(self) -> Any:
        return self.services.ingest.ports.store

    def keys(self, prefix: str) -> list[str]:
        keys: list[str] = self.store.list_keys(prefix)
        return keys

    def client(self, name: str) -> Any:
        """A client of this stack's endpoint (never the real AWS)."""
        return self.session.client(name, region_name=REGION, endpoint_url=self.settings.endpoint_url)

    def secret(self) -> bytes:
        secrets: tuple[bytes, ...] = self.services.ingest.ports.reply_secrets()
        return secrets[0]


@contextlib.contextmanager
def embedded_stack(stage: str = "local", domain: str = "example.com") -> Iterator[EmbeddedStack]:
    from moto import mock_aws

    from inbound.stage.provision.run import provision

    offline_credentials()
    emulated_aws()
    with mock_aws():
        session = new_session(REGION)
        report = provision(session, stage=stage, domain=domain, region=REGION)
        settings = Settings.from_env({**report.outputs, "AWS_REGION": REGION})
        yield EmbeddedStack(session, settings, build_services(settings, session), dict(report.outputs))


@contextlib.contextmanager
def moto_server(port: int = 0) -> Iterator[str]:
    """moto's server in a thread on 127.0.0.1 (only), closed to web pages (see moto_endpoint);
    yields its endpoint URL."""
    from inbound.local import moto_endpoint

    emulated_aws()
    with moto_endpoint.serve(port) as endpoint:
        yield endpoint


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def stack_at(
    endpoint_url: str, stage: str = "local", domain: str = "example.com", mailboxes: list[str] | None = None
) -> EmbeddedStack:
    """Provision (idempotently) and wire the services against an AWS-compatible endpoint;
    `mailboxes`: addresses at `domain` (default: provision's, support@ and billing@)."""
    from inbound.stage.provision.run import provision

    aws_contract.install()
    session = new_session(REGION)
    report = provision(
        session, stage=stage, domain=domain, region=REGION, endpoint_url=endpoint_url, mailboxes=mailboxes
    )
    settings = Settings.from_env(
        {**report.outputs, "AWS_REGION": REGION, "INBOUND_ENDPOINT_URL": endpoint_url}
    )
    return EmbeddedStack(session, settings, build_services(settings, session), dict(report.outputs))
