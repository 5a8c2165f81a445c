"""Shared fixtures: AWS credentials that can never reach AWS, an embedded stack."""

from __future__ import annotations

import gc

import pytest

from inbound.local import heap
from inbound.local.embedded import embedded_stack, emulated_aws, offline_credentials
from tests.support.embedded import empty_stack
from tests.support.local_up import shared_local_stacks  # noqa: F401  (fixture: one per process, e2e and security alike)

# Before any boto3 client exists: moto intercepts, and nothing can reach AWS; every
# session of the suite refuses what AWS would refuse (inbound/local/aws_contract/).
offline_credentials()
emulated_aws()


@pytest.fixture(scope="module")
def _module_stack():
    """Provisioning costs seconds, so a module shares one stack and each test empties it.
    What the stack holds (moto's backends, botocore's models) lives as long as the module: out
    of the garbage collector's walks until the module ends, as in `inbound up` (heap.py)."""
    with embedded_stack(stage="test") as built:
        heap.settle()
        yield built
    gc.unfreeze()  # the stack is garbage now: the next full collection frees it


@pytest.fixture
def stack(_module_stack):
    """A provisioned embedded AWS (moto in-process) with the real services wired to it, empty."""
    empty_stack(_module_stack)
    yield _module_stack


# The slowest files, slowest first, by their summed test times in gate 8's junit report
# (2026-12-07, the whole suite at load 10-20; seconds of one worker at that load): the
# announcements' done-when (273 s of its 388), README's commands (170), the two-agent console
# (152), the load (128), kill -9 bursts (110), the fuzz (107). Started last, one of them kept
# a worker busy minutes after the other had finished. The rest of the e2e tier follows; the
# console modules on the shared stack (shared_stack) cost little each once it runs.
SLOWEST_FILES = (
    "test_announce_report.py",
    "test_readme.py",
    "test_console_team.py",
    "test_load.py",
    "test_crash.py",
    "test_fuzz_pipeline.py",
)


def _slow_first(item: pytest.Item) -> int:
    if item.path.name in SLOWEST_FILES:
        return SLOWEST_FILES.index(item.path.name)
    if item.get_closest_marker("e2e"):
        return len(SLOWEST_FILES)
    return len(SLOWEST_FILES) + (1 if item.get_closest_marker("corpus") else 2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the longest files first, then the slow tiers (the local stack, the
    browser, the corpus sweeps): a worker that takes one of them near the end leaves the run
    waiting on it. Every worker sorts alike, so they agree on the order; a run in one process
    keeps its own."""
    if hasattr(config, "workerinput"):
        items.sort(key=_slow_first)
