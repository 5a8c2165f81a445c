"""The reply-token secret, from SSM Parameter Store (SecureString), cached per container."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


class SsmReplySecrets:
    """Current secret first, then the previous one kept during a rotation."""

    def __init__(self, client: "SSMClient", parameter: str) -> None:
        self._ssm = client
        self._parameter = parameter
        self._cached: tuple[bytes, ...] | None = None
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
            if self._cached is None:
                current = self._read(self._parameter)
                if current is None:
                    raise ConfigurationError(
                        f"reply-token secret {self._parameter} is missing: run inbound provision"
                    )
                previous = self._read(self._parameter + "-previous")
                self._cached = (current,) + ((previous,) if previous else ())
            return self._cached
