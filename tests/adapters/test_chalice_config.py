"""`inbound provision --write-config`: the stage's environment for `chalice deploy`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from inbound.chalice_config import write_stage_environment

REPO = Path(__file__).resolve().parents[2]


def test_provisioned_names_land_in_the_stage_and_a_second_write_changes_nothing(stack, tmp_path):
    config = tmp_path / "config.json"
    shutil.copy(REPO / ".chalice" / "config.json", config)
    changed = write_stage_environment(config, "dev", stack.outputs)
    env = json.loads(config.read_text())["stages"]["dev"]["environment_variables"]
    assert env["INBOUND_MAIL_BUCKET"] == stack.settings.mail_bucket
    assert env["INBOUND_USER_POOL_ID"] == stack.outputs["INBOUND_USER_POOL_ID"]
    assert env["INBOUND_INGEST_QUEUE"] == "inbound-test-ingest"
    assert env["INBOUND_ACKNOWLEDGE"] == "true"  # hand-set values stay
    assert "INBOUND_ENDPOINT_URL" not in env and "INBOUND_MAIL_BUCKET" in changed
    assert write_stage_environment(config, "dev", stack.outputs) == []
    prod = json.loads(config.read_text())["stages"]["prod"]["environment_variables"]
    assert prod["INBOUND_STAGE"] == "prod"  # other stages untouched
