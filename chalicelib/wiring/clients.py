"""The boto3 clients the Lambdas build: one session, one lock, one retry policy, and a
proxy for the clients many invocations never call (built by their first use)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient


# A boto3 session must not build two clients at once (`inbound up` serves from threads).
SESSION_LOCK = threading.RLock()

# botocore's data loader parses the service models and the endpoint rules from JSON and
# keeps them for its session: 60-150 ms of CPU a client, and some 100,000 objects in
# reference cycles that only a full garbage collection frees. Sessions of one process
# share one loader, so each model is parsed once however many sessions the process makes
# (a CLI command, a session per client it asks for; a test, the services per test as
# another container would build them; provisioning, one per stage).
_DATA_LOADER: Any = None


def new_session(region_name: str | None = None, core: Any = None, **credentials: str) -> Session:
    """A boto3 session of its own (credentials, region, event hooks) on the process's loader;
    `core`: a botocore session of the caller's (session variables), else a new default one."""
    import boto3
    import botocore.session

    global _DATA_LOADER
    core = core or botocore.session.get_session()
    with SESSION_LOCK:
        if _DATA_LOADER is None:
            _DATA_LOADER = core.get_component("data_loader")
        core.register_component("data_loader", _DATA_LOADER)
        session = boto3.session.Session(botocore_session=core, region_name=region_name, **credentials)
        # boto3 adds its own data directory to the loader's search path at every session
        _DATA_LOADER.search_paths[:] = list(dict.fromkeys(_DATA_LOADER.search_paths))
    return session


# Each client the Lambdas build, typed by boto3-stubs (a dev dependency; types only).
# Requests in all, connect and read timeouts (s) of services that answer in milliseconds where
# the general ones (5 requests of 5 + 60 s) would let a hung connection hold a staff request past
# API Gateway's 29-second integration limit: a container's first sign-in reads the reply
# secrets from SSM before Cognito is asked. 3 x (1 + 3) s at worst; then the secrets reader
# falls back (adapters/ssm_secrets.py) and the sign-in goes on with the stricter limits.
QUICK: dict[str, tuple[int, int, int]] = {"ssm": (3, 1, 3)}
API_GATEWAY_LIMIT_SECONDS = 29


@overload
def client(session: Session, name: Literal["cloudwatch"], settings: Settings) -> CloudWatchClient: ...
@overload
def client(session: Session, name: Literal["dynamodb"], settings: Settings) -> DynamoDBClient: ...
@overload
def client(session: Session, name: Literal["s3"], settings: Settings) -> S3Client: ...
@overload
def client(session: Session, name: Literal["ses"], settings: Settings) -> SESClient: ...
@overload
def client(session: Session, name: Literal["sesv2"], settings: Settings) -> SESV2Client: ...
@overload
def client(session: Session, name: Literal["sns"], settings: Settings) -> SNSClient: ...
@overload
def client(session: Session, name: Literal["sqs"], settings: Settings) -> SQSClient: ...
@overload
def client(session: Session, name: Literal["ssm"], settings: Settings) -> SSMClient: ...
def client(session: Session, name: str, settings: Settings) -> Any:
    from botocore.config import Config

    # botocore's `max_attempts` counts the retries (4: five requests); `total_max_attempts` all.
    attempts, connect, read = QUICK.get(name, (5, 5, 60))
    retries: Any = {"mode": "standard", "total_max_attempts": attempts}
    config = Config(retries=retries, connect_timeout=connect, read_timeout=read)
    service: Any = name  # one of the names above; the stubs type each by its literal name
    with SESSION_LOCK:
        return session.client(
            service, region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
        )


class _OnFirstUse:
    """A boto3 client (or the desk, for a reply's reopening) built by its first use instead
    of by `build_services`.

    For the clients many invocations never call (SSM for reply tokens, SES, presigning):
    each costs 10-30 ms of cold start, mostly loading its service model.
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with SESSION_LOCK:
                if self._client is None:
                    self._client = self._build()
        return getattr(self._client, name)


_Client = TypeVar("_Client")


def on_first_use(build: Callable[[], _Client]) -> _Client:
    """What `build` returns, built by its first use; the proxy stands in for that client's type."""
    return cast(_Client, _OnFirstUse(build))


def signing_s3(session: Session, settings: Settings) -> S3Client:
    """Presigned links need Signature Version 4 (the only one newer regions accept)."""
    from botocore.config import Config

    config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
    return session.client(
        "s3", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )
