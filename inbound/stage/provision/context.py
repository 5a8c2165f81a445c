"""Names, clients and error handling shared by the modules of inbound/stage/provision."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from chalicelib.adapters.aws_errors import error_code as error_code  # the provision modules' import
from chalicelib.errors import InboundError
from inbound.stage.provision.report import ProvisionReport

T = TypeVar("T")

# Bucket names are at most 63 characters: "inbound-" + stage + "-mail-" + 12-digit account.
_STAGE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,35}[a-z0-9])?$")

# Error codes an emulator answers with for an API it does not implement.
_UNSUPPORTED_CODES = frozenset({"InvalidAction", "NotImplemented", "UnknownOperationException"})
# What to catch around a call that an emulator may lack; `Context.is_unsupported` decides.
UNSUPPORTED_SIGNALS = (NotImplementedError, ClientError, ResponseParserError)


class ProvisionError(InboundError):
    """The account holds something provision cannot fix in place; an operator must act."""


@dataclass(frozen=True)
class Names:
    """Every name and ARN derived from stage, domain, region and account."""

    stage: str
    domain: str
    region: str
    account: str
    partition: str = "aws"

    def __post_init__(self) -> None:
        if not _STAGE.match(self.stage):
            raise ProvisionError(
                f"stage {self.stage!r}: use 1-37 lowercase letters, digits or '-' "
                "(it becomes part of S3, SQS and SES names)"
            )

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    @property
    def prefix(self) -> str:
        return f"inbound-{self.stage}"

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-mail-{self.account}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"

    @property
    def tickets_table(self) -> str:
        return f"{self.prefix}-tickets"

    @property
    def suppression_table(self) -> str:
        return f"{self.prefix}-suppression"

    def topic(self, role: str) -> str:
        """role: received, feedback, events or alarms."""
        return f"{self.prefix}-{role}"

    def topic_arn(self, role: str) -> str:
        return self._arn("sns", self.topic(role))

    def queue(self, role: str) -> str:
        """role: ingest, ingest-dlq, feedback or feedback-dlq."""
        return f"{self.prefix}-{role}"

    def queue_arn(self, role: str) -> str:
        return self._arn("sqs", self.queue(role))

    @property
    def rule_set(self) -> str:
        return self.prefix

    @property
    def rule(self) -> str:
        return f"{self.prefix}-receive"

    @property
    def rule_arn_pattern(self) -> str:
        """The stage's rule in any rule set of the account: it may live in the active set
        an operator owns (see provision/receiving.py). For ArnLike conditions."""
        return self._arn("ses", f"receipt-rule-set/*:receipt-rule/{self.rule}")

    @property
    def configuration_set(self) -> str:
        return self.prefix

    @property
    def configuration_set_arn(self) -> str:
        return self._arn("ses", f"configuration-set/{self.configuration_set}")

    @property
    def event_destination(self) -> str:
        return f"{self.prefix}-feedback"

    @property
    def user_pool(self) -> str:
        return f"{self.prefix}-staff"

    @property
    def user_pool_client(self) -> str:
        return f"{self.prefix}-staff-console"

    @property
    def reply_secret_parameter(self) -> str:
        return f"/inbound/{self.stage}/reply-token-secret"

    @property
    def previous_reply_secret_parameter(self) -> str:
        return f"{self.reply_secret_parameter}-previous"

    @property
    def public_url_parameter(self) -> str:
        """The stage's URL for links in mail (String; the stack or `provision` writes it)."""
        return f"/inbound/{self.stage}/public-url"


@dataclass
class Context:
    """One provisioning run: clients built once per service, the names, the report."""

    session: boto3.session.Session
    region: str
    endpoint_url: str | None
    names: Names
    report: ProvisionReport
    sleep: Callable[[float], None] = time.sleep
    dry_run: bool = False  # reads only (provision/dry_run.py)
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            config = None
            if service == "s3" and self.endpoint_url:
                # Emulators answer on one host name; virtual-host buckets would not resolve.
                config = Config(s3={"addressing_style": "path"})
            # boto3-stubs types clients by literal service name; `service` is any name.
            make: Callable[..., Any] = self.session.client
            client = make(service, region_name=self.region, endpoint_url=self.endpoint_url, config=config)
            if self.dry_run:
                from inbound.stage.provision.dry_run import hold_writes

                hold_writes(client)
            self._clients[service] = client
        return self._clients[service]

    def is_unsupported(self, exc: BaseException) -> bool:
        """True when `exc` means "this endpoint lacks the API", never for real AWS errors."""
        if isinstance(exc, NotImplementedError):
            return True  # moto in-process (mock_aws) raises it for unimplemented actions
        if isinstance(exc, ClientError):
            return error_code(exc) in _UNSUPPORTED_CODES
        # moto server answers an unimplemented action with an HTML 500 page, which botocore
        # cannot parse. Only trusted when talking to an emulator endpoint.
        return isinstance(exc, ResponseParserError) and self.endpoint_url is not None

    def retry(
        self,
        call: Callable[[], T],
        codes: frozenset[str],
        attempts: int = 8,
        delay: float = 1.0,
        backoff: bool = True,
    ) -> T:
        """Run `call`, retrying while AWS answers one of `codes` (eventual consistency)."""
        for attempt in range(attempts):
            try:
                return call()
            except ClientError as exc:
                if error_code(exc) not in codes or attempt == attempts - 1:
                    raise
                self.sleep(delay * (2 ** min(attempt, 4)) if backoff else delay)
        raise AssertionError("unreachable")


def account_of(session: boto3.session.Session, region: str, endpoint_url: str | None) -> str:
    sts = session.client("sts", region_name=region, endpoint_url=endpoint_url)
    return str(sts.get_caller_identity()["Account"])


def partition_of(session: boto3.session.Session, region: str) -> str:
    try:
        return str(session.get_partition_for_region(region))
    except ValueError:
        return "aws"


def canonical(document: Any) -> Any:
    """A comparable form of an IAM-style JSON document.

    AWS may hand back a policy with a one-item list turned into a scalar or list items
    reordered; neither is a change.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return document
    if isinstance(document, dict):
        return {key: _canonical_value(value) for key, value in document.items()}
    return _canonical_value(document)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical_value(item) for key, item in value.items()}
    if isinstance(value, list):
        items = sorted(
            (_canonical_value(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True)
        )
        return items[0] if len(items) == 1 else items
    return value


def policy_json(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)
