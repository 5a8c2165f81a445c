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


# The two longest files of the suite, one test each taking minutes (the 1,000 fuzz cases; every
# corpus message through the whole ingest): measured 357 s and 323 s at load 10, started last
# they kept one worker busy for ten minutes after the other had finished.
LONGEST_FILES = ("test_fuzz_pipeline.py", "test_corpus_pipeline.py")


def _slow_first(item: pytest.Item) -> int:
    if item.path.name in LONGEST_FILES:
        return 0
    if item.get_closest_marker("e2e"):
        return 1
    return 2 if item.get_closest_marker("corpus") else 3


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the longest files first, then the slow tiers (the local stack, the
    browser, the corpus sweeps): a worker that takes one of them near the end leaves the run
    waiting on it. Every worker sorts alike, so they agree on the order; a run in one process
    keeps its own."""
    if hasattr(config, "workerinput"):
        items.sort(key=_slow_first)
