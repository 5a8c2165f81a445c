"""Shared fixtures: AWS credentials that can never reach AWS, an embedded stack."""

from __future__ import annotations

import pytest

from inbound.local.embedded import embedded_stack, emulated_aws, offline_credentials
from tests.support.embedded import empty_stack

# Before any boto3 client exists: moto intercepts, and nothing can reach AWS; every
# session of the suite refuses what AWS would refuse (inbound/local/aws_contract/).
offline_credentials()
emulated_aws()


@pytest.fixture(scope="module")
def _module_stack():
    """Provisioning costs seconds, so a module shares one stack and each test empties it."""
    with embedded_stack(stage="test") as built:
        yield built


@pytest.fixture
def stack(_module_stack):
    """A provisioned embedded AWS (moto in-process) with the real services wired to it, empty."""
    empty_stack(_module_stack)
    yield _module_stack
