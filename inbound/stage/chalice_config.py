"""Writing what `inbound provision` created into `.chalice/` for `chalice deploy`.

The functions find every resource through environment variables; names that carry
the account id (the bucket) or ids AWS assigns (the Cognito pool and client, topic
ARNs) are only known after provisioning, so the operator runs
`inbound provision --stage S --domain D --write-config` and then `chalice deploy --stage S`.
The same step writes each function's IAM policy file (its document from `iam_policies`), derived
from the environment it has just written, so policy and names cannot disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inbound.stage.iam_policies import policy_documents
from inbound.stage.provision.context import Names

# Outputs that only the local stack uses, or that the functions do not read.
_SKIP = {"INBOUND_ENDPOINT_URL"}

# An account id still unknown (before provision): one that matches any 12-digit account
# but no other name, unlike `*` which would also match `/` and other buckets.
ANY_ACCOUNT = "????????????"
ANY_REGION = "*"


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


def policy_file_name(stage: str, function: str) -> str:
    return f"policy-{stage}-{function}.json"


def write_policies(
    chalice_dir: Path,
    names: Names,
    mailboxes: list[str],
    warmup_pool: bool = False,
    sending_identity_arn: str = "",
    user_pool_id: str = "",
) -> list[str]:
    """Write the stage's policy files into `chalice_dir`; returns the names of those that changed."""
    changed = []
    documents = policy_documents(names, mailboxes, warmup_pool, sending_identity_arn, user_pool_id)
    for function, document in documents.items():
        path = chalice_dir / policy_file_name(names.stage, function)
        text = json.dumps(document, indent=2) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(path.name)
    return changed


def names_from_environment(stage: str, env: dict[str, str]) -> tuple[Names, list[str]]:
    """The stage's names and mailboxes from its environment variables in .chalice/config.json.

    The account and Region come from the events topic's ARN and the partition from it too
    (both written by `inbound provision --write-config`); before that they are wildcards.
    """
    domain = env.get("INBOUND_DOMAIN", "example.com").lower()
    listed = [item.partition("=")[0].strip().lower() for item in env.get("INBOUND_MAILBOXES", "").split(",")]
    mailboxes = [m for m in listed if m] or [f"support@{domain}", f"billing@{domain}"]
    arn = env.get("INBOUND_EVENTS_TOPIC_ARN", "").split(":")
    if len(arn) == 6 and arn[0] == "arn":
        partition, region, account = arn[1], arn[3], arn[4]
    else:
        partition, region, account = "aws", ANY_REGION, ANY_ACCOUNT
    return Names(stage, domain, region, account, partition), mailboxes


# The functions SQS feeds: the queues' visibility timeouts follow their timeouts (documents.py).
QUEUE_FUNCTIONS = ("ingest", "record_feedback", "send_announcement", "send_reply")


def queue_function_timeouts(project_dir: Path, stage: str) -> dict[str, int]:
    """Each SQS-fed function's `lambda_timeout` as `chalice deploy --stage` will set it (the
    function's, else the stage's, else the file's, else Chalice's default), so `provision`
    sizes the queues' visibility timeouts to what is deployed; empty when the project's
    config.json does not name `stage` (provision then uses its own defaults)."""
    path = project_dir / ".chalice" / "config.json"
    if not path.exists():
        return {}
    on_disk = json.loads(path.read_text())
    if stage not in on_disk.get("stages", {}):
        return {}
    from chalice.config import Config
    from chalice.constants import DEFAULT_LAMBDA_TIMEOUT

    def timeout(function: str) -> int:
        scoped = Config(chalice_stage=stage, function_name=function, config_from_disk=on_disk)
        return int(scoped.lambda_timeout or DEFAULT_LAMBDA_TIMEOUT)

    return {function: timeout(function) for function in QUEUE_FUNCTIONS}
