"""Fixtures of the end-to-end tests: `inbound up` as a real subprocess, and the console in chromium."""

from tests.support.browser import chromium_executable  # noqa: F401  (a fixture)
from tests.support.console import browser, console  # noqa: F401  (fixtures)
from tests.support.local_up import local_stack  # noqa: F401  (a fixture)
