"""Markers of the adapter tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pypi: needs PyPI unless cached (chalice package downloads Linux wheels for requirements.txt)",
    )
