"""Deployment: the package Lambda runs, and `chalice deploy` of a provisioned stage.

1. GIVEN `inbound package --stage dev` (chalice's zip plus compiled bytecode), WHEN its
   deployment.zip is unpacked beside a fresh virtual environment that holds
   requirements.txt and boto3 (the Lambda runtime's own), THEN a cold start that writes no
   bytecode imports the app and every chalicelib module from the zip, each from its
   packaged .pyc, wires the services without one AWS call, answers the health route and the
   console page, and the zip stays well under Lambda's limits.
2. GIVEN a moto server provisioned by `inbound provision --stage dev --write-config`, WHEN
   `chalice deploy --stage dev` runs, THEN the functions, roles, queue mappings, schedule
   and REST API are what .chalice/config.json and each function's policy file say; AND a
   second deploy creates nothing new.

Both work on a copy of the project, so `.chalice/deployments/` and `.chalice/deployed/`
never appear in the repository.

Over 300 lines on purpose: both tests need the one packaged project (the session's `package`
fixture) and the helpers that run it offline.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from inbound.local.embedded import moto_server
from inbound.stage.bytecode import pyc_name
from tests.support.deployed_stack import read_back, resources
from tests.support.moto_swagger_import import swagger2_import

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROBE = Path(__file__).parents[1] / "support" / "cold_start_probe.py"
STAGE = "dev"
REGION = "us-east-1"
MB = 1024 * 1024
# Our budget for the zip. Today it is about 9 MB (2 MB of it compiled bytecode), half of it
# cryptography's compiled Rust binding (PyJWT[crypto], for RS256 staff tokens), then nh3's (Rust) binary.
ZIP_CEILING = 25 * MB
# Lambda refuses a function whose unpacked code and layers exceed 250 MB.
UNPACKED_CEILING = 250 * MB
# What the Lambda Python runtime brings besides the standard library: boto3 and its dependencies.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})
# Development-only code that must never reach the package.
NOT_PACKAGED = frozenset({"inbound", "tests", "bench", "moto", "boto3", "botocore", "pytest"})
# Chalice's defaults for a function .chalice/config.json does not size (chalice.constants).
DEFAULT_MEMORY, DEFAULT_TIMEOUT = 128, 60
SWEEP_EVERY_SECONDS = 15 * 60  # app.py: @app.schedule(Rate(15, unit=Rate.MINUTES))


def copy_project(dest: Path) -> Path:
    """What chalice reads: the app, chalicelib, requirements and .chalice's config and policies."""
    dest.mkdir(parents=True)
    shutil.copy2(ROOT / "app.py", dest / "app.py")
    shutil.copy2(ROOT / "requirements.txt", dest / "requirements.txt")
    shutil.copytree(ROOT / "chalicelib", dest / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / ".chalice").mkdir()
    for name in ["config.json", *(p.name for p in (ROOT / ".chalice").glob("policy-*.json"))]:
        shutil.copy2(ROOT / ".chalice" / name, dest / ".chalice" / name)
    return dest


def offline_env(endpoint: str, home: Path) -> dict[str, str]:
    """Every AWS call of a child process goes to `endpoint`, never to AWS, whatever ~/.aws holds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(
        AWS_ACCESS_KEY_ID="offline",
        AWS_SECRET_ACCESS_KEY="offline",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint,
        AWS_CONFIG_FILE=str(home / "aws-config-absent"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials-absent"),
    )
    return env


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> str:
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(command[:3])} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc.stdout + proc.stderr


def stage_environment(config: dict[str, Any], function: str) -> dict[str, str]:
    """The variables chalice gives `function`: global, then the stage's, then the function's."""
    stage = config["stages"][STAGE]
    return {
        **config.get("environment_variables", {}),
        **stage.get("environment_variables", {}),
        **stage.get("lambda_functions", {}).get(function, {}).get("environment_variables", {}),
    }


@contextlib.contextmanager
def recorded_aws_calls() -> Iterator[tuple[str, list[str]]]:
    """A loopback endpoint that answers every request with a 500 and remembers it."""
    calls: list[str] = []

    class Refuse(BaseHTTPRequestHandler):
        def refuse(self) -> None:
            calls.append(f"{self.command} {self.path} {self.headers.get('Authorization', '')[:80]}")
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = refuse

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", calls
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Package:
    project: Path
    zip: Path


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    """`inbound package --stage dev` of a copy of the project (Linux wheels from PyPI)."""
    base = tmp_path_factory.mktemp("package")
    project = copy_project(base / "project")
    with recorded_aws_calls() as (endpoint, _):
        run(
            [str(BIN / "inbound"), "package", "--stage", STAGE, str(base / "out")],
            project,
            offline_env(endpoint, base),
        )
    return Package(project, base / "out" / "deployment.zip")


@pytest.fixture(scope="session")
def fresh_python(tmp_path_factory: pytest.TempPathFactory, package: Package) -> Path:
    """A new virtual environment holding requirements.txt and boto3 only; kept for this session.

    Made from the interpreter chalice packaged for (the zip's wheels are cp311), without
    pip or setuptools: the repository venv's pip installs into it (`pip --python`), so
    nothing of moto, chalice's CLI or the repository is importable in it.
    """
    venv = tmp_path_factory.mktemp("fresh-venv") / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv.parent, env)
    python = venv / "bin" / "python"
    requirements = str(package.project / "requirements.txt")
    pip = [str(BIN / "pip"), "--python", str(python), "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "-r", requirements, "boto3"], venv.parent, env, timeout=600)
    return python


def test_the_deployment_zip_imports_cleanly_in_a_fresh_environment_and_stays_small(
    package: Package, fresh_python: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(package.zip) as archive:
        entries = archive.infolist()
        archive.extractall(tmp_path / "task")
    task = (tmp_path / "task").resolve()
    zipped, unpacked = package.zip.stat().st_size, sum(e.file_size for e in entries)
    by_top: Counter[str] = Counter()
    for entry in entries:
        by_top[entry.filename.split("/")[0]] += entry.compress_size
    largest = ", ".join(f"{name} {size / MB:.1f} MB" for name, size in by_top.most_common(4))
    print(
        f"\ndeployment.zip: {zipped / MB:.1f} MB zipped, {unpacked / MB:.1f} MB unpacked; largest: {largest}"
    )

    names = {entry.filename for entry in entries}
    sources = {name for name in names if name.endswith(".py")}
    assert {name for name in names if name.endswith(".pyc")} == {pyc_name(name) for name in sources}

    tops = {name.removesuffix(".py") for name in by_top}
    assert not tops & NOT_PACKAGED, f"packaged but never needed by Lambda: {sorted(tops & NOT_PACKAGED)}"
    expected_modules = sorted(
        e.filename.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for e in entries
        if e.filename.startswith("chalicelib/") and e.filename.endswith(".py")
    )

    config = json.loads((package.project / ".chalice" / "config.json").read_text())
    with recorded_aws_calls() as (endpoint, calls):
        env = {
            **stage_environment(config, "api_handler"),
            **offline_env(endpoint, tmp_path),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
        }
        env = {k: v for k, v in env.items() if not k.startswith("PYTHON")}
        proc = subprocess.run(
            # -B: /var/task is read-only, nothing is compiled and cached there.
            [str(fresh_python), "-I", "-B", str(PROBE), str(task)],
            cwd=task,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert proc.returncode == 0, f"cold start failed:\n{proc.stderr[-6000:]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])

    assert report["errors"] == {}
    assert report["without_bytecode"] == []
    assert report["chalicelib_modules"] == expected_modules
    assert report["services"] == sorted(
        ["ingest", "suspended", "desk", "auth", "outbound", "feedback", "suppression", "sweeper"]
    )
    assert calls == [], "building the services called AWS"
    assert report["responses"]["/api/health"] == {"statusCode": 200, "body": '{"status":"ok"}'}
    assert report["responses"]["/"]["statusCode"] == 200
    assert "<html" in report["responses"]["/"]["body"].lower()
    assert report["rs256"] is True, "PyJWT cannot verify RS256 staff tokens: cryptography did not load"
    # Everything imported came from the zip, except what the Lambda runtime provides
    # (a module with no file is built into an extension, e.g. cryptography's _openssl).
    from_elsewhere = {
        name: origin
        for name, origin in report["origins"].items()
        if origin and not Path(origin).resolve().is_relative_to(task) and name not in RUNTIME_PROVIDED
    }
    assert from_elsewhere == {}, "imported from outside the deployment package"

    assert zipped < ZIP_CEILING, f"deployment.zip is {zipped / MB:.1f} MB; largest: {largest}"
    assert unpacked < UNPACKED_CEILING


def test_provision_then_chalice_deploy_on_moto_and_a_second_deploy_creates_nothing(
    package: Package, tmp_path: Path
) -> None:
    # The packaged copy with chalice's cache of its dependency zip: deploy reuses it
    # instead of fetching the same wheels from PyPI a second time.
    project = tmp_path / "project"
    shutil.copytree(package.project, project)
    deployed_file = project / ".chalice" / "deployed" / f"{STAGE}.json"
    inbound, chalice = str(BIN / "inbound"), str(BIN / "chalice")

    with swagger2_import(), moto_server() as endpoint:
        env = offline_env(endpoint, tmp_path)
        provision = [inbound, "provision", "--stage", STAGE, "--endpoint-url", endpoint, "--write-config"]
        run(provision, project, env)
        config = json.loads((project / ".chalice" / "config.json").read_text())
        run([chalice, "deploy", "--stage", STAGE], project, env)
        first = json.loads(deployed_file.read_text())
        state = read_back(endpoint, first)

        # GIVEN the second deploy of unchanged sources and config
        second_output = run([chalice, "deploy", "--stage", STAGE], project, env)
        second = json.loads(deployed_file.read_text())
        again = read_back(endpoint, second)

    functions = state["functions"]
    assert sorted(functions) == [
        "api_handler",
        "ingest",
        "record_feedback",
        "send_announcement",
        "send_reply",
        "sweep_incoming",
    ]
    assert sorted(fn["arn"] for fn in functions.values()) == state["all_functions"]
    stage = config["stages"][STAGE]
    for name, fn in functions.items():
        sizing = stage["lambda_functions"].get(name, {})
        expected = (
            sizing.get("lambda_memory_size", DEFAULT_MEMORY),
            sizing.get("lambda_timeout", DEFAULT_TIMEOUT),
        )
        assert (fn["memory"], fn["timeout"]) == expected, name
        assert fn["runtime"] == "python3.11"
        assert fn["environment"] == stage_environment(config, name), name
        # Lambda refuses a function whose variables exceed 4 KB in all; moto does not check.
        assert len(json.dumps(fn["environment"])) < 4096, name
    assert (functions["ingest"]["memory"], functions["ingest"]["timeout"]) == (1024, 120)
    # The sweeper re-drives stale mail through ingest's code path: ingest's size, and a
    # timeout well inside its 15-minute schedule, so one run never overlaps the next.
    sweep = functions["sweep_incoming"]
    assert (sweep["memory"], sweep["timeout"]) == (1024, 120)
    assert sweep["timeout"] < SWEEP_EVERY_SECONDS
    # --write-config put the provisioned names in; the moto endpoint itself stays out.
    ingest_env = functions["ingest"]["environment"]
    assert ingest_env["INBOUND_MAIL_BUCKET"].startswith(f"inbound-{STAGE}-mail-")
    assert "INBOUND_ENDPOINT_URL" not in ingest_env

    queues = {"ingest": stage["environment_variables"]["INBOUND_INGEST_QUEUE_ARN"]}
    queues["record_feedback"] = stage["environment_variables"]["INBOUND_FEEDBACK_QUEUE_ARN"]
    for name, queue_arn in queues.items():
        assert [(arn, size, st) for _, arn, size, st in functions[name]["mappings"]] == [
            (queue_arn, 10, "Enabled")
        ], name
    # One batch of recipients per invocation (chalicelib/services/announcement_sending.py).
    announce_arn = stage["environment_variables"]["INBOUND_ANNOUNCE_QUEUE_ARN"]
    assert [(arn, size, st) for _, arn, size, st in functions["send_announcement"]["mappings"]] == [
        (announce_arn, 1, "Enabled")
    ]
    # One held reply per invocation (undo-send: chalicelib/services/held_replies.py).
    outbox_arn = stage["environment_variables"]["INBOUND_OUTBOX_QUEUE_ARN"]
    assert [(arn, size, st) for _, arn, size, st in functions["send_reply"]["mappings"]] == [
        (outbox_arn, 1, "Enabled")
    ]
    assert functions["sweep_incoming"]["mappings"] == functions["api_handler"]["mappings"] == []
    assert len(state["all_mappings"]) == 4

    sweep_arn = functions["sweep_incoming"]["arn"]
    schedules = [r for r in state["rules"].values() if any(arn == sweep_arn for _, arn in r["targets"])]
    assert [(r["schedule"], r["state"]) for r in schedules] == [
        (f"rate({SWEEP_EVERY_SECONDS // 60} minutes)", "ENABLED")
    ]
    assert [svc for _, svc in functions["sweep_incoming"]["permissions"]] == ["events.amazonaws.com"]
    assert [svc for _, svc in functions["api_handler"]["permissions"]] == ["apigateway.amazonaws.com"]

    # autogen_policy is off: chalice gives each function its own role, whose one inline
    # policy is that function's policy file (its iam_policy_file), word for word; the
    # function writes its logs to its own log group, which its policy names.
    assert len({fn["role"] for fn in functions.values()}) == len(functions)
    for name, fn in functions.items():
        policy_file = stage["lambda_functions"][name]["iam_policy_file"]
        assert policy_file == f"policy-{STAGE}-{name}.json"
        policy = json.loads((project / ".chalice" / policy_file).read_text())
        role = state["roles"][fn["role"]]
        assert list(role["inline"].values()) == [policy], name
        assert role["attached"] == [], name
        principals = [s["Principal"] for s in role["trust"]["Statement"]]
        assert principals == [{"Service": "lambda.amazonaws.com"}], name
        function_name = fn["arn"].rpartition(":function:")[2]
        # --write-config wrote the policies for the provisioned account and Region.
        region, account = fn["arn"].split(":")[3:5]
        log_group = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function_name}:*"
        assert [s["Resource"] for s in policy["Statement"] if s["Action"][0].startswith("logs:")] == [
            log_group
        ], name

    api_id = resources(first, "rest_api")["rest_api"]["rest_api_id"]
    assert list(state["rest_apis"]) == [api_id]
    api = state["rest_apis"][api_id]
    assert ("/api/health", ("GET",)) in api["routes"]
    assert api["stages"] == [stage["api_gateway_stage"]]

    # THEN nothing new exists. "No-op" here: the same functions (ARN, code hash, settings,
    # versions), the same roles (same RoleId, policies), the same two queue mappings (same
    # UUIDs), the same rule and targets, the same one REST API with the same routes and
    # stage, the same invoke permissions, and an identical .chalice/deployed/dev.json.
    # Chalice still re-uploads the code, rewrites each role's policy and creates a new
    # deployment of the same API for the stage: updates in place, which this allows.
    assert second == first
    assert again == state
    created = [
        line
        for line in second_output.splitlines()
        if line.startswith(("Creating", "Subscribing")) and "deployment package" not in line
    ]
    assert created == []
