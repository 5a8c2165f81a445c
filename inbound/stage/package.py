"""`inbound package`: the Lambda zip and one CloudFormation template for a stage.

It writes `cfn_template.merge_template` for the stage to a temporary file and runs
`chalice package --stage S --merge-template FILE OUTDIR` (the chalice next to this
Python, i.e. the project's virtual environment), which leaves `deployment.zip` and
`sam.json` in OUTDIR. Chalice downloads Linux wheels for requirements.txt from PyPI when
its cache (.chalice/deployments) has no package for them yet. The zip is then rewritten
with compiled bytecode for the functions' runtime (inbound/stage/bytecode.py): Lambda's task
directory is read-only, so without it every cold start compiles every module it imports.

The function timeouts, the domain and the mailboxes come from the stage in
.chalice/config.json, read through Chalice's own configuration lookup.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.config import Config
from chalice.constants import DEFAULT_LAMBDA_TIMEOUT

from chalicelib.errors import InboundError
from inbound.stage.bytecode import BytecodeFailed, add_bytecode
from inbound.stage.cfn_template import merge_template, template_names
from inbound.stage.documents import REPLY_FUNCTION_TIMEOUT, SEND_FUNCTION_TIMEOUT


class PackageFailed(InboundError):
    """`chalice package` failed, or the stage is not in .chalice/config.json."""


@dataclass(frozen=True)
class StageConfig:
    stage: str
    domain: str
    mailboxes: list[str]
    ingest_function_timeout: int
    feedback_function_timeout: int
    api_stage: str = "api"
    announce_function_timeout: int = SEND_FUNCTION_TIMEOUT
    reply_function_timeout: int = REPLY_FUNCTION_TIMEOUT


def read_stage_config(project_dir: Path, stage: str) -> StageConfig:
    """What the template needs from .chalice/config.json for `stage`."""
    on_disk: dict[str, Any] = json.loads((project_dir / ".chalice" / "config.json").read_text())
    if stage not in on_disk.get("stages", {}):
        raise PackageFailed(f"stage {stage!r} is not in {project_dir / '.chalice' / 'config.json'}")

    def scoped(function: str) -> Config:
        return Config(chalice_stage=stage, function_name=function, config_from_disk=on_disk)

    env = scoped("ingest").environment_variables
    domain = env.get("INBOUND_DOMAIN", "example.com").lower()
    # INBOUND_MAILBOXES: "support@example.com=support,billing@example.com=billing".
    listed = [item.partition("=")[0].strip().lower() for item in env.get("INBOUND_MAILBOXES", "").split(",")]
    mailboxes = [address for address in listed if address] or [f"support@{domain}", f"billing@{domain}"]
    return StageConfig(
        stage,
        domain,
        mailboxes,
        int(scoped("ingest").lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
        int(scoped("record_feedback").lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
        scoped("api_handler").api_gateway_stage or "api",
        int(scoped("send_announcement").lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
        int(scoped("send_reply").lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
    )


def stage_template(project_dir: Path, stage: str, firehose: bool = False) -> dict[str, Any]:
    config = read_stage_config(project_dir, stage)
    return merge_template(
        template_names(stage, config.domain),
        mailboxes=config.mailboxes,
        ingest_function_timeout=config.ingest_function_timeout,
        feedback_function_timeout=config.feedback_function_timeout,
        announce_function_timeout=config.announce_function_timeout,
        reply_function_timeout=config.reply_function_timeout,
        firehose=firehose,
        api_stage=config.api_stage,
    )


def chalice_command() -> str:
    """The chalice of this environment (the project's .venv), else the one on PATH."""
    here = Path(sys.executable).parent / "chalice"
    return str(here) if here.exists() else "chalice"


def package(stage: str, outdir: Path, project_dir: Path = Path("."), firehose: bool = False) -> Path:
    """Build the stage's package into `outdir`; returns the merged template's path."""
    template = stage_template(project_dir, stage, firehose)
    env = dict(os.environ)
    # The template names its Region with ${AWS::Region}; Chalice still wants one set.
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    with tempfile.TemporaryDirectory(prefix="inbound-package-") as tmp:
        merge_file = Path(tmp) / f"inbound-{stage}-merge.json"
        merge_file.write_text(json.dumps(template, indent=2) + "\n")
        command = [
            chalice_command(),
            "--project-dir",
            str(project_dir.resolve()),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge_file),
            str(outdir.resolve()),
        ]
        done = subprocess.run(command, check=False, env=env)
    if done.returncode != 0:
        raise PackageFailed(f"chalice package exited with {done.returncode} (its message is above)")
    written = outdir / "sam.json"
    try:
        add_bytecode(outdir / "deployment.zip", function_runtime(json.loads(written.read_text())))
    except BytecodeFailed as exc:
        raise PackageFailed(str(exc)) from exc
    return written


def function_runtime(template: dict[str, Any]) -> str:
    """The one Runtime of the template's functions (chalice names this Python's version)."""
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    if len(runtimes) != 1:
        raise PackageFailed(f"expected one runtime for the functions, found {sorted(runtimes)}")
    return runtimes.pop()
