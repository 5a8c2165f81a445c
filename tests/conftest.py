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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the files of the slow tiers first (the local stack, the browser, the
    corpus sweeps): a worker that takes one of them near the end would leave the run waiting on it.
    Every worker sorts alike, so they agree on the order; a run in one process keeps its own."""
    if hasattr(config, "workerinput"):
        items.sort(
            key=lambda item: (
                0 if item.get_closest_marker("e2e") else 1 if item.get_closest_marker("corpus") else 2
            )
        )
