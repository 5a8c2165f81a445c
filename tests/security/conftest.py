"""Fixtures of the attack tests: the machinery of the suites whose paths they attack, imported
rather than copied (the embedded `stack` comes from tests/conftest.py)."""

from __future__ import annotations

from tests.app.conftest import api, app_stack, jwks, local_server  # noqa: F401  (fixtures)
from tests.e2e.conftest import chromium_executable, local_stack  # noqa: F401  (fixtures)
