"""The Chalice app as `inbound up` runs it: `app.py` imported with the environment Chalice
would give the functions (from provision's outputs), and Chalice's local HTTP server for the
staff API and console."""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inbound.local.embedded import REGION, EmbeddedStack
from inbound.stage.gateway_responses import local_http_server

# .chalice/config.json has no "local" stage; the dev stage's per-function settings apply.
CHALICE_STAGE = "dev"
PROJECT_DIR = Path(__file__).resolve().parents[2]


def app_environment(stack: EmbeddedStack, endpoint: str, http_url: str = "") -> dict[str, str]:
    """What Chalice would set on the functions, from provision's outputs."""
    env = {**stack.outputs, "AWS_REGION": REGION, "INBOUND_ENDPOINT_URL": endpoint}
    if http_url:  # announcements' one-click unsubscribe links point at this stack's /u/
        env["INBOUND_PUBLIC_URL"] = http_url
    # As the deployed stages do (.chalice/config.json): new tickets are acknowledged.
    env["INBOUND_ACKNOWLEDGE"] = "true"
    # The local poller honours batchItemFailures, as a mapping with ReportBatchItemFailures does.
    env["INBOUND_PARTIAL_BATCH_RESPONSES"] = "true"
    for key, value in stack.outputs.items():
        if key.endswith("_QUEUE_URL"):  # app.py names its queues at import: INBOUND_INGEST_QUEUE
            env[key.removesuffix("_URL")] = value.rsplit("/", 1)[1]
    return env


def import_app(env: dict[str, str]) -> Any:
    """`app.py` with the stack's settings, as a freshly started Lambda container sees them."""
    os.environ.update(env)
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    module = importlib.import_module("app")
    # Chalice's app logger is named after the app ("inbound", the parent of every
    # logger here): Chalice points it at stdout at level ERROR. Locally, logs go to
    # stderr at INFO and stdout carries only the announcements.
    app_log = logging.getLogger(module.app.app_name)
    app_log.handlers.clear()
    app_log.propagate = True
    app_log.setLevel(logging.INFO)
    from chalicelib.wiring import services

    services.cache_clear()
    return module


def chalice_config() -> Any:
    from chalice.config import Config

    on_disk = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    defaults = {"project_dir": str(PROJECT_DIR)}
    return Config(chalice_stage=CHALICE_STAGE, config_from_disk=on_disk, default_params=defaults)


def http_server(app_module: Any, config: Any, host: str, port: int, busy: Callable[[], Any]) -> Any:
    """Chalice's local server; requests that may write run inside `busy()` (see quiet.py)."""
    server = local_http_server(app_module.app, config, host, port, busy)
    threading.Thread(target=server.server.serve_forever, name="http", daemon=True).start()
    return server
