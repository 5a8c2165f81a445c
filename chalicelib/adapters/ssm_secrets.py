"""The reply-token secret, from SSM Parameter Store (SecureString), cached per container.

The cache lives a few minutes, not the container's lifetime: after `inbound secret rotate`
every warm container signs with the new value and verifies it within `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


class SsmReplySecrets:
    """Current secret first, then the previous one kept during a rotation."""

    def __init__(
        self,
        client: "SSMClient",
        parameter: str,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ssm = client
        self._parameter = parameter
        self._ttl = ttl
        self._clock = clock
        self._cached: tuple[bytes, ...] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def _read(self, name: str) -> bytes | None:
        try:
            value = self._ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise
        return value.encode("utf-8")

    def __call__(self) -> tuple[bytes, ...]:
        with self._lock:
            if self._cached is None or self._clock() - self._read_at >= self._ttl:
                current = self._read(self._parameter)
                if current is None:
                    raise ConfigurationError(
                        f"reply-token secret {self._parameter} is missing: run inbound provision"
                    )
                previous = self._read(self._parameter + "-previous")
                self._cached = (current,) + ((previous,) if previous else ())
                self._read_at = self._clock()
            return self._cached
