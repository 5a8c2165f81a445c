"""build_services is the one place clients are made: a session handed to it reaches every
AWS call the services make, the console's sign-in proxy included."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib.adapters.cognito_sign_in import SignInRefused
from chalicelib.wiring import build_services


def test_the_console_sign_in_asks_cognito_through_the_session_the_services_were_built_with(stack):
    """GIVEN a session whose calls are recorded WHEN the console's proxy signs someone in
    THEN Cognito is asked through that session (a hook or fault on it reaches the proxy)."""
    asked: list[str] = []
    session = boto3.session.Session(region_name=stack.settings.region)

    def record(model: Any, **_: Any) -> None:
        asked.append(model.name)

    session.events.register("before-call.cognito-idp", record)
    services = build_services(stack.settings, session)

    with pytest.raises(SignInRefused) as refused:
        services.console_sign_in.password("nobody@example.com", "Not-the-password-1")

    assert refused.value.status == 401
    assert asked == ["InitiateAuth"]
