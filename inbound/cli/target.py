"""Where a command works: the `inbound up` of a data dir, an endpoint, or a deployed stage.

Every command that talks to a stack resolves its target here, from the same options:

- neither `--stage` nor `--endpoint-url`: the `inbound up` running with `--data-dir`
  (default `.inbound/` in the current folder), found through the `stack.json` it writes
  while it runs. No AWS credentials are needed: its moto server takes the local ones.
- `--endpoint-url URL`: an AWS-compatible endpoint (stage `local` unless `--stage`).
- `--stage S`: a deployed stage, in the account of the default boto3 session.

A deployed stage's settings are its functions' own: resource names derived as `inbound
provision` derives them, the mailboxes from its receipt rule and, for AWS itself, the
environment in `.chalice/config.json` (`inbound provision --write-config`) on top.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

LOCAL_STAGE = "local"
DEFAULT_DATA_DIR = ".inbound"
STACK_FILE = "stack.json"
CHALICE_CONFIG = Path(".chalice/config.json")
# What moto's server accepts and AWS refuses: the local stack never sees real credentials.
LOCAL_CREDENTIALS: dict[str, Any] = {  # Session's keyword arguments
    k: "embedded" for k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
}


class CommandError(Exception):
    """An expected failure of a command; the message says what happened and what to do."""


class NoStackRunning(CommandError):
    """No `inbound up` runs with this data dir, and no other target was named."""

    def __init__(
        self, data_dir: Path, detail: str = "", elsewhere: str = "--data-dir, --stage or --endpoint-url"
    ) -> None:
        self.data_dir, self.detail = data_dir, detail
        shown = data_dir if data_dir.is_absolute() else f"./{data_dir}"
        super().__init__(
            f"no inbound stack is running in {shown}{detail} — start it with `make run` "
            f"(or `inbound up`), or pass {elsewhere}"
        )


def options(
    *, data_dir_help: str = "the local stack's data dir (default .inbound/)"
) -> argparse.ArgumentParser:
    """The options every stack command takes (an argparse parent)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help=data_dir_help)
    common.add_argument("--stage", default=None, help="a deployed stage (default: the running local stack)")
    common.add_argument("--endpoint-url", default=None, help="an AWS-compatible endpoint, e.g. moto's")
    common.add_argument("--region", default=None, help="AWS Region (default: the stack's, else us-east-1)")
    common.add_argument("-v", "--verbose", action="store_true", help="tracebacks and more logging")
    return common


def running_stack(data_dir: Path) -> dict[str, Any]:
    """What the `inbound up` of `data_dir` wrote about itself; NoStackRunning when none runs."""
    try:
        found = json.loads((data_dir / STACK_FILE).read_text())
    except FileNotFoundError:
        raise NoStackRunning(data_dir) from None
    except (OSError, ValueError) as exc:
        raise NoStackRunning(data_dir, f" ({data_dir / STACK_FILE} is unreadable: {exc})") from None
    if not _alive(found.get("pid")):
        # A run killed with -9 leaves its stack.json behind.
        raise NoStackRunning(data_dir, f" (its last run, process {found.get('pid')}, has stopped)")
    return dict(found)


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    try:  # a killed process not yet reaped (a zombie) still answers signal 0
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass(frozen=True)
class Target:
    stage: str
    region: str
    endpoint_url: str | None  # None: AWS itself
    data_dir: Path
    local: dict[str, Any] = field(default_factory=dict)  # the running stack's stack.json

    @property
    def is_local(self) -> bool:
        return bool(self.local)

    @property
    def description(self) -> str:
        if self.is_local:
            return f"the local stack in {self.data_dir}"
        return f"stage {self.stage} at {self.endpoint_url}" if self.endpoint_url else f"stage {self.stage}"

    def session(self) -> Any:
        from chalicelib.wiring.clients import new_session

        if self.is_local or (self.endpoint_url and not _has_credentials()):
            return local_session(self.region)
        return new_session(self.region)

    def client(self, name: str, session: Any = None) -> Any:
        return (session or self.session()).client(
            name, region_name=self.region, endpoint_url=self.endpoint_url
        )

    def environment(self, session: Any) -> dict[str, str]:
        """The settings the stage's functions run with."""
        if self.is_local and self.local.get("outputs"):
            env = {**self.local["outputs"], "AWS_REGION": self.region}
            env.update(INBOUND_ENDPOINT_URL=str(self.endpoint_url), INBOUND_ACKNOWLEDGE="true")
            if self.local.get("http"):  # as local/chalice_host.py's app_environment: unsubscribe links
                env["INBOUND_PUBLIC_URL"] = str(self.local["http"])
            for key, value in self.local["outputs"].items():
                if key.endswith("_QUEUE_URL"):  # as local/chalice_host.py's app_environment names the queues
                    env[key.removesuffix("_URL")] = str(value).rsplit("/", 1)[1]
            return env
        return _derived_environment(session, self.stage, self.region, self.endpoint_url)

    def services(self) -> Any:
        from chalicelib.settings import Settings
        from chalicelib.wiring import build_services

        session = self.session()
        return build_services(Settings.from_env(self.environment(session)), session)

    def user_pool_id(self, session: Any = None) -> str:
        if self.is_local:
            return str(self.local["user_pool_id"])
        from inbound.stage.provision.context import Names, account_of, partition_of

        session = session or self.session()
        account = account_of(session, self.region, self.endpoint_url)
        name = Names(self.stage, "", self.region, account, partition_of(session, self.region)).user_pool
        pages = self.client("cognito-idp", session).get_paginator("list_user_pools")
        for page in pages.paginate(PaginationConfig={"PageSize": 60}):
            for pool in page["UserPools"]:
                if pool["Name"] == name:
                    return str(pool["Id"])
        raise CommandError(f"{self.description} has no user pool {name}: run `inbound provision` first")


def local_session(region: str) -> Any:
    """A session for a local endpoint: its credentials, and no profile from the shell (the
    shell's AWS_PROFILE is for AWS; a profile missing on this machine must not stop local work)."""
    import botocore.session

    from chalicelib.wiring.clients import new_session

    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return new_session(region, core, **LOCAL_CREDENTIALS)


def command_session(region: str, endpoint_url: str | None) -> Any:
    """The session of a command that names its own Region and endpoint (provision, teardown):
    an endpoint without credentials in the shell is an emulator's (moto takes any), as for
    every other command's --endpoint-url (Target.session)."""
    from chalicelib.wiring.clients import new_session

    if endpoint_url and not _has_credentials():
        return local_session(region)
    return new_session(region)


def _has_credentials() -> bool:
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))


def resolve(args: argparse.Namespace) -> Target:
    """The target named by the common options (see `options`)."""
    data_dir = Path(getattr(args, "data_dir", None) or DEFAULT_DATA_DIR)
    region = getattr(args, "region", None) or os.environ.get("AWS_REGION") or "us-east-1"
    if args.endpoint_url:
        return Target(args.stage or LOCAL_STAGE, region, args.endpoint_url, data_dir)
    if args.stage:
        return Target(args.stage, region, None, data_dir)
    local = running_stack(data_dir)
    return Target(
        LOCAL_STAGE, str(local.get("region") or region), str(local["endpoint_url"]), data_dir, local
    )


def deployed_api(stage: str) -> dict[str, str]:
    """The staff API of a stage `chalice deploy` deployed from this project (its URL), and the
    Cognito app client staff sign in with (from `inbound provision --write-config`)."""
    deployed = CHALICE_CONFIG.parent / "deployed" / f"{stage}.json"
    try:
        resources = json.loads(deployed.read_text()).get("resources", [])
    except FileNotFoundError:
        raise CommandError(
            f"stage {stage} was not deployed from this folder ({deployed} is missing): "
            f"run `chalice deploy --stage {stage}` here, or pass --url"
        ) from None
    urls = [r.get("rest_api_url") for r in resources if r.get("resource_type") == "rest_api"]
    if not any(urls):
        raise CommandError(
            f"{deployed} names no REST API: run `chalice deploy --stage {stage}`, or pass --url"
        )
    env = _chalice_environment(stage)
    pool = env.get("INBOUND_USER_POOL_ID", "")
    return {
        "http": str(next(u for u in urls if u)).rstrip("/"),
        "user_pool_client_id": env.get("INBOUND_USER_POOL_CLIENT_ID", ""),
        "region": pool.partition("_")[0] if "_" in pool else "",
    }


# -- a stage's settings, derived ------------------------------------------------------------
def _chalice_environment(stage: str) -> dict[str, str]:
    """What the stage's functions get from .chalice/config.json (global, then the stage's)."""
    if not CHALICE_CONFIG.exists():
        return {}
    config = json.loads(CHALICE_CONFIG.read_text())
    env = dict(config.get("environment_variables") or {})
    env.update((config.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    return {str(k): str(v) for k, v in env.items()}


def _mailboxes(session: Any, names: Any, region: str, endpoint_url: str | None) -> dict[str, str]:
    """Domain and mailboxes from the stage's receipt rule (what provision made of --domain)."""
    ses = session.client("ses", region_name=region, endpoint_url=endpoint_url)
    try:
        rules = ses.describe_receipt_rule_set(RuleSetName=names.rule_set).get("Rules") or []
    except ClientError:
        return {}  # not provisioned here (or no permission): the stage's config decides
    recipients = [r for rule in rules if rule.get("Name") == names.rule for r in rule.get("Recipients") or []]
    addresses = sorted(r.lower() for r in recipients if "@" in r)
    domains = [r.lower() for r in recipients if "@" not in r]
    if not addresses:
        return {}
    found = {"INBOUND_MAILBOXES": ",".join(f"{a}={a.partition('@')[0]}" for a in addresses)}
    found["INBOUND_DOMAIN"] = domains[0] if domains else addresses[0].partition("@")[2]
    return found


def _derived_environment(session: Any, stage: str, region: str, endpoint_url: str | None) -> dict[str, str]:
    from inbound.stage.provision.context import Names, account_of, partition_of

    names = Names(stage, "", region, account_of(session, region, endpoint_url), partition_of(session, region))
    env = {
        "INBOUND_STAGE": stage,
        "AWS_REGION": region,
        "INBOUND_MAIL_BUCKET": names.bucket,
        "INBOUND_TICKETS_TABLE": names.tickets_table,
        "INBOUND_SUPPRESSION_TABLE": names.suppression_table,
        "INBOUND_CONFIGURATION_SET": names.configuration_set,
        "INBOUND_REPLY_SECRET_PARAMETER": names.reply_secret_parameter,
        "INBOUND_EVENTS_TOPIC_ARN": names.topic_arn("events"),
        "INBOUND_INGEST_QUEUE": names.queue("ingest"),
        "INBOUND_FEEDBACK_QUEUE": names.queue("feedback"),
        "INBOUND_ANNOUNCE_QUEUE": names.queue("announce"),
        "INBOUND_ANNOUNCEMENT_CONFIGURATION_SET": f"{names.configuration_set}-announcements",
        # Links the CLI makes (announcements' unsubscribe links) name the stage's URL, as its
        # functions' do: INBOUND_PUBLIC_URL, else the stage's SSM parameter, never loopback.
        "INBOUND_DEPLOYED": "true",
    }
    env.update(_mailboxes(session, names, region, endpoint_url))
    if endpoint_url:
        env["INBOUND_ENDPOINT_URL"] = endpoint_url
        # As `inbound up` runs its functions (local/chalice_host.py's app_environment).
        env["INBOUND_ACKNOWLEDGE"] = "true"
    else:
        env.update(_chalice_environment(stage))
    return env
