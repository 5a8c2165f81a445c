"""The reply-token secret, from SSM Parameter Store (SecureString), cached per container.

The cache lives a few minutes, not the container's lifetime: after `inbound secret rotate`
every warm container signs with the new value and verifies it within `ttl` seconds.

SSM throttles (GetParameter shares a per-account rate) and can be out. A container that has
read the secrets keeps using them while it cannot read them again, for at most `stale`
seconds after the read that succeeded: a rotation still takes effect once SSM answers, and
the values kept are ones SSM gave out (the current secret of a few minutes ago is the previous
one after a rotation, which still verifies). After a failed read it asks again no sooner than
`retry` seconds later, so an outage costs each container one request (and botocore's retries)
that often, not every request that needs the secrets. With nothing to fall back on it raises
SecretsUnavailable, which says when to try again; a missing parameter stays a
ConfigurationError (the stage was never provisioned).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.errors import ConfigurationError, SecretsUnavailable

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

log = logging.getLogger(__name__)


class SsmReplySecrets:
    """Current secret first, then the previous one kept during a rotation."""

    def __init__(
        self,
        client: "SSMClient",
        parameter: str,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        stale: float = 900.0,
        retry: float = 15.0,
    ) -> None:
        self._ssm = client
        self._parameter = parameter
        self._ttl = ttl
        self._stale = stale
        self._retry = retry
        self._clock = clock
        self._cached: tuple[bytes, ...] | None = None
        self._read_at = 0.0
        self._failed: tuple[float, str] | None = None  # when the last read failed, and why
        self._lock = threading.Lock()

    def _read(self, name: str) -> bytes | None:
        try:
            value = self._ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise
        return value.encode("utf-8")

    def _read_both(self) -> tuple[bytes, ...]:
        current = self._read(self._parameter)
        if current is None:
            raise ConfigurationError(
                f"reply-token secret {self._parameter} is missing: run inbound provision"
            )
        previous = self._read(self._parameter + "-previous")
        return (current,) + ((previous,) if previous else ())

    def __call__(self) -> tuple[bytes, ...]:
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._read_at < self._ttl:
                return self._cached
            usable = self._cached if self._cached is not None and now - self._read_at < self._stale else None
            if self._failed is not None and now - self._failed[0] < self._retry:
                return usable or self._unavailable(self._failed[0] + self._retry - now)
            try:
                self._cached, self._read_at, self._failed = self._read_both(), now, None
            except (ClientError, BotoCoreError) as exc:
                # Any answer but ParameterNotFound (throttling, a 5xx, a timeout, no connection)
                why = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
                self._failed = (now, why)
                log.warning("reply secrets %s not read (%s); kept: %s", self._parameter, why, bool(usable))
                return usable or self._unavailable(self._retry)
            return self._cached

    def _unavailable(self, wait: float) -> tuple[bytes, ...]:
        why = self._failed[1] if self._failed else "unknown"
        raise SecretsUnavailable(
            f"the reply secrets could not be read from SSM ({why}); try again shortly",
            max(1, math.ceil(wait)),
        )
