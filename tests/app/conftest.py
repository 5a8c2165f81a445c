"""Fixtures of the staff API tests: the app on the embedded stack, signed in with moto's Cognito."""

from tests.support.staff_api import api, app_stack, jwks, local_server  # noqa: F401  (fixtures)
from tests.support.tickets_cli import local_agent  # noqa: F401  (a fixture of the CLI tests)
