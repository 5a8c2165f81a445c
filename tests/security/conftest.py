"""Fixtures of the attack tests: the machinery of the suites whose paths they attack, imported
rather than copied (the embedded `stack` comes from tests/conftest.py)."""

from tests.support.browser import chromium_executable  # noqa: F401  (a fixture)
from tests.support.console import browser, console  # noqa: F401  (fixtures)
from tests.support.hijack import alice, outbox  # noqa: F401  (fixtures)
from tests.support.local_up import local_stack  # noqa: F401  (a fixture)
from tests.support.staff_api import api, app_stack, cognito_calls, jwks, local_server  # noqa: F401  (fixtures)
