"""The sessions `build_services` makes when it is given none (chalicelib/wiring/clients.py).

GIVEN services rebuilt in one process (the app's `services()` after a cache clear, as the app
and security tests do before every test), WHEN each builds its own boto3 session, THEN they
share one botocore data loader, so a service model is parsed once per process, while each
keeps its own session (credentials, region, event hooks); and the loader's search path does
not grow by one directory per session (boto3 adds its data directory at every session).
"""

from __future__ import annotations

from chalicelib.settings import Settings
from chalicelib.wiring import build_services


def test_rebuilt_services_share_the_parsed_models_and_keep_their_own_sessions():
    settings = Settings.from_env({"AWS_REGION": "us-east-1"})
    first, second = build_services(settings), build_services(settings)
    cores = first._session._session, second._session._session
    loader = cores[0].get_component("data_loader")
    first_model = first._session.client("sqs", region_name="us-east-1").meta.service_model
    paths = list(loader.search_paths)

    third = build_services(settings)
    third_model = third._session.client("sqs", region_name="us-east-1").meta.service_model

    assert cores[0] is not cores[1] and cores[0].get_component("event_emitter") is not cores[1].get_component(
        "event_emitter"
    )
    assert cores[1].get_component("data_loader") is loader
    assert third_model._service_description is first_model._service_description  # parsed once
    assert loader.search_paths == paths and len(paths) == len(set(paths))


def test_the_cli_sessions_share_them_too_and_keep_their_region_and_credentials(monkeypatch):
    """A command asks its target for a session per client; a local one ignores the shell's profile."""
    from inbound.cli.target import command_session, local_session

    monkeypatch.setenv("AWS_PROFILE", "only-on-another-machine")
    local = local_session("eu-west-1")
    monkeypatch.delenv("AWS_PROFILE")
    command = command_session("eu-central-1", None)
    services = build_services(Settings.from_env({"AWS_REGION": "us-east-1"}))

    loader = services._session._session.get_component("data_loader")
    assert local._session.get_component("data_loader") is loader
    assert command._session.get_component("data_loader") is loader
    assert (local.region_name, command.region_name) == ("eu-west-1", "eu-central-1")
    assert local.get_credentials().access_key == "embedded"
