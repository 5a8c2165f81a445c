"""Markers of the adapter tests, the AWS contract tests' two sessions (`sessions`), and moto's
server on loopback for a module (`endpoint`: the in-process and container transport tests)."""

from __future__ import annotations

import pytest

from tests.support.aws_contract_sessions import sessions  # noqa: F401  (a fixture)
from tests.support.moto_server import endpoint  # noqa: F401  (a fixture)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pypi: needs PyPI unless cached (chalice package downloads Linux wheels for requirements.txt)",
    )
