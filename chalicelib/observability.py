"""Structured logs and metrics of the Lambda functions (Powertools for AWS Lambda).

A handler wrapped in `observed` (app.py) runs as one invocation:

- every line of an `inbound.*` or `chalicelib.*` logger is one JSON object (Powertools
  Logger) carrying the keys of what is being processed: `scope` sets them for one SQS
  record or one swept object and puts the earlier ones back after it, so nothing leaks
  from one record into the next; `add_keys` adds to them once known (`ticket_id`);
- what services `count` or `gauge` leaves, when the invocation ends, as one CloudWatch
  Embedded Metric Format blob (Powertools Metrics): namespace `inbound`, dimensions
  `service`=`inbound` and `stage`=<INBOUND_STAGE>, the ones the stage's alarms
  (inbound/stage/alarms.py) are written against.

Outside an invocation (`inbound process`, service tests) every call here does nothing, so
the CLI prints what it printed before. Powertools is imported by the first invocation,
not with app.py: importing it costs about 20 ms, which the cold-start benchmark (import
and `build_services`) does not pay. In Lambda both logs and metrics go to stdout, where
CloudWatch Logs reads them; anywhere else (`inbound up`, tests) to stderr, so stdout
keeps only what the local commands print.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = "inbound"
# Metric names the stage's CloudWatch alarms are written against: rename them together.
INGESTED = "Ingested"  # every message that reached an outcome (quarantined ones too)
OUTCOME_METRICS = {
    "created": "Created",
    "threaded": "Threaded",
    "duplicate": "Duplicate",
    "quarantined": "Quarantined",
    "bounce": "Bounce",
    "auto_reply": "AutoReply",
}
OLDEST_INCOMING_AGE = "OldestIncomingAgeSeconds"  # each sweep; 0 when incoming/ is empty
FEEDBACK_EVENTS = "FeedbackEvents"  # per-recipient SES feedback events recorded
SUPPRESSED = "Suppressed"  # addresses newly put on the suppression list

# The metrics of the invocation running in this thread (name -> unit, value); None outside one.
_invocation: contextvars.ContextVar[dict[str, tuple[str, float]] | None] = contextvars.ContextVar(
    "inbound_invocation", default=None
)
_build_lock = threading.Lock()


def observed(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A Lambda function's handler, run as one invocation (see the module's docstring)."""

    @functools.wraps(handler)
    def invocation(event: Any) -> Any:
        _logger()
        context = getattr(event, "context", None)  # Chalice's events carry the Lambda context
        metrics: dict[str, tuple[str, float]] = {}
        token = _invocation.set(metrics)
        try:
            with scope(
                function_name=handler.__name__, function_request_id=getattr(context, "aws_request_id", None)
            ):
                return handler(event)
        finally:
            _invocation.reset(token)
            _flush(metrics)

    return invocation


@contextlib.contextmanager
def scope(**keys: Any) -> Iterator[None]:
    """`keys` on every log line until the block ends; then the keys from before it, only."""
    if _invocation.get() is None:
        yield
        return
    log = _logger()
    before = dict(log.thread_safe_get_current_keys())
    log.thread_safe_append_keys(**_present(keys))
    try:
        yield
    finally:
        log.thread_safe_clear_keys()
        log.thread_safe_append_keys(**before)


def add_keys(**keys: Any) -> None:
    """Keys on the rest of the current scope's lines (None values are left out)."""
    if _invocation.get() is not None:
        _logger().thread_safe_append_keys(**_present(keys))


def count(name: str, value: float = 1) -> None:
    """Add to a Count metric of this invocation."""
    metrics = _invocation.get()
    if metrics is not None:
        metrics[name] = ("Count", metrics.get(name, ("Count", 0.0))[1] + value)


def gauge(name: str, value: float, unit: str = "Seconds") -> None:
    """Set a metric of this invocation to `value` (the last one set is emitted)."""
    metrics = _invocation.get()
    if metrics is not None:
        metrics[name] = (unit, value)


def _present(keys: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in keys.items() if v is not None}


def _stream() -> IO[str]:
    """stdout in Lambda, stderr elsewhere; looked up each time, so a replaced one is followed."""
    return sys.stdout if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else sys.stderr


class _StandardStream(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler writing to `_stream()` at the time of each line."""

    def __init__(self) -> None:
        super().__init__(_stream())

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return _stream()

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


_built: list[Logger] = []


def _logger() -> Logger:
    """The Powertools Logger behind the `inbound` logger, built on first use."""
    with _build_lock:
        if not _built:
            _built.append(_build_logger())
    return _built[0]


def _build_logger() -> Logger:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    # The level the app (or `inbound up`) gave the `inbound` logger, unless Powertools' own
    # POWERTOOLS_LOG_LEVEL (or Lambda's log level setting, which always wins) says otherwise.
    level = None if os.environ.get("POWERTOOLS_LOG_LEVEL") else logging.getLogger(SERVICE).getEffectiveLevel()
    log = Logger(service=SERVICE, level=level, logger_handler=_StandardStream())
    # Modules that log under their own name (chalicelib.adapters.sns_events, ...) write through
    # the same handler, keys included; each line then names its logger ("name").
    logging.getLogger("chalicelib")
    copy_config_to_registered_loggers(source_logger=log, include={"chalicelib"}, ignore_log_level=True)
    return log


def _flush(metrics: dict[str, tuple[str, float]]) -> None:
    """One EMF blob with this invocation's metrics; nothing when there are none."""
    if not metrics:
        return
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    settings = Settings.from_env()
    # Its own provider, not Metrics' class-wide metric set: `inbound up` runs functions in threads.
    emf = Metrics(
        provider=AmazonCloudWatchEMFProvider(
            namespace=settings.metrics_namespace,
            service=SERVICE,
            default_dimensions={"stage": settings.stage},
        )
    )
    for name, (unit, value) in metrics.items():
        emf.add_metric(name=name, unit=unit, value=value)
    stream = _stream()
    stream.write(json.dumps(emf.serialize_metric_set(), separators=(",", ":")) + "\n")
    stream.flush()
