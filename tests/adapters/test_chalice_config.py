"""`inbound provision --write-config`: the stage's environment for `chalice deploy`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from inbound.stage.chalice_config import write_stage_environment

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


def test_provision_write_config_for_another_domain_and_account_writes_policies_naming_them(
    tmp_path, monkeypatch, capsys
):
    """GIVEN a local endpoint answering as account 210987654321, WHEN an operator runs
    `inbound provision --stage dev --domain acme-support.test --write-config`, THEN the
    stage's environment and every function's policy name that domain and account."""
    from inbound.cli import main
    from inbound.local.embedded import moto_server

    (tmp_path / ".chalice").mkdir()
    shutil.copy(REPO / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "210987654321")
    with moto_server() as endpoint:
        args = ["provision", "--stage", "dev", "--domain", "acme-support.test", "--endpoint-url", endpoint]
        assert main([*args, "--write-config", "--project-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "policy-dev-ingest.json" in out
    env = json.loads((tmp_path / ".chalice" / "config.json").read_text())["stages"]["dev"][
        "environment_variables"
    ]
    assert env["INBOUND_DOMAIN"] == "acme-support.test"
    assert env["INBOUND_MAIL_BUCKET"] == "inbound-dev-mail-210987654321"
    for function in ("ingest", "sweep_incoming", "api_handler"):
        policy = json.loads((tmp_path / ".chalice" / f"policy-dev-{function}.json").read_text())
        send = next(s for s in policy["Statement"] if s["Sid"] == "SendAsTheStageMailboxes")
        assert send["Resource"] == "arn:aws:ses:us-east-1:210987654321:identity/*"
        assert send["Condition"]["StringEquals"]["ses:FromAddress"] == [
            "billing@acme-support.test",
            "support@acme-support.test",
        ]
        assert "example.com" not in json.dumps(policy)


def test_queue_sources_are_capped_and_log_groups_expire_on_chalice_deploy():
    """Chalice 1.34 sets both on deploy and package: MaximumConcurrency on the SQS event
    sources (AWS's minimum is 2) and a retention on each function's log group."""
    from chalice.config import Config

    from app import app
    from chalicelib.services.announcement_sending import SEND_CONCURRENCY

    caps = {s.name: s.maximum_concurrency for s in app.event_sources if hasattr(s, "queue")}
    # send_announcement paces each invocation at MaxSendRate / SEND_CONCURRENCY: the cap must agree.
    assert caps == {"ingest": 5, "record_feedback": 2, "send_announcement": SEND_CONCURRENCY, "send_reply": 5}
    config = json.loads((REPO / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        for function in (
            "ingest",
            "record_feedback",
            "sweep_incoming",
            "api_handler",
            "send_announcement",
            "send_reply",
        ):
            scoped = Config(chalice_stage=stage, function_name=function, config_from_disk=config)
            assert scoped.log_retention_in_days == 90, (stage, function)


def test_inbound_policies_writes_the_files_again_from_config_json(tmp_path, capsys):
    """A hand edit of a policy file is put back from the stage's config by `inbound policies`."""
    from inbound.cli import main

    shutil.copytree(REPO / ".chalice", tmp_path / ".chalice", ignore=shutil.ignore_patterns("deployments"))
    assert main(["policies", "--stage", "dev", "--project-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("up to date")
    edited = tmp_path / ".chalice" / "policy-dev-ingest.json"
    edited.write_text(edited.read_text().replace("ses:SendRawEmail", "ses:*"))
    assert main(["policies", "--stage", "dev", "--project-dir", str(tmp_path)]) == 0
    assert "policy-dev-ingest.json written" in capsys.readouterr().out
    assert edited.read_text() == (REPO / ".chalice" / "policy-dev-ingest.json").read_text()
