"""Writing what `inbound provision` created into `.chalice/` for `chalice deploy`.

The functions find every resource through environment variables; names that carry
the account id (the bucket) or ids AWS assigns (the Cognito pool and client, topic
ARNs) are only known after provisioning, so the operator runs
`inbound provision --stage S --domain D --write-config` and then `chalice deploy --stage S`.
The same step writes each function's IAM policy file (`inbound.stage.iam_policies`), derived
from the environment it has just written, so policy and names cannot disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inbound.stage.iam_policies import names_from_environment, write_policies

# Outputs that only the local stack uses, or that the functions do not read.
_SKIP = {"INBOUND_ENDPOINT_URL"}


def stage_environment(outputs: dict[str, str]) -> dict[str, str]:
    """The stage's environment variables from provision's outputs."""
    env = {k: v for k, v in outputs.items() if k.startswith("INBOUND_") and k not in _SKIP}
    # Chalice wires SQS event sources by queue name, read from these at import.
    for role in ("INGEST", "FEEDBACK", "ANNOUNCE", "OUTBOX"):
        arn = outputs.get(f"INBOUND_{role}_QUEUE_ARN", "")
        if arn:
            env[f"INBOUND_{role}_QUEUE"] = arn.rsplit(":", 1)[1]
    return env


def write_stage_environment(config_path: Path, stage: str, outputs: dict[str, str]) -> list[str]:
    """Merge the outputs into the stage's environment; returns the variables that changed."""
    config: dict[str, Any] = json.loads(config_path.read_text())
    stages = config.setdefault("stages", {})
    current = stages.setdefault(stage, {}).setdefault("environment_variables", {})
    changed = []
    for key, value in sorted(stage_environment(outputs).items()):
        if current.get(key) != value:
            current[key] = value
            changed.append(key)
    if changed:
        config_path.write_text(json.dumps(config, indent=2) + "\n")
    return changed


def write_stage_config(project_dir: Path, stage: str, outputs: dict[str, str]) -> list[str]:
    """The stage's environment into config.json, then its policy files from that environment.

    Returns what changed: variable names, then policy file names.
    """
    chalice_dir = project_dir / ".chalice"
    changed = write_stage_environment(chalice_dir / "config.json", stage, outputs)
    return changed + write_stage_policies(chalice_dir, stage)


def write_stage_policies(chalice_dir: Path, stage: str) -> list[str]:
    """Every function's policy file for `stage`, from the stage's environment in config.json."""
    config: dict[str, Any] = json.loads((chalice_dir / "config.json").read_text())
    env = {**config.get("environment_variables", {})}
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    names, mailboxes = names_from_environment(stage, env)
    return write_policies(
        chalice_dir,
        names,
        mailboxes,
        warmup_pool=bool(env.get("INBOUND_WARMUP_POOL")),
        sending_identity_arn=env.get("INBOUND_SENDING_IDENTITY_ARN", ""),
        user_pool_id=env.get("INBOUND_USER_POOL_ID", ""),
    )
