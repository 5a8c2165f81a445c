"""A data dir as a running `inbound up` leaves it, and a shell with no AWS credentials: what
the stack commands (`inbound tickets`, `identity`, `staff`, ...) find the local stack from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from inbound.local.embedded import moto_server, stack_at
from inbound.local.foreground import write_runtime
from inbound.local.stack import UpOptions


@contextmanager
def running_stack(data_dir: Path) -> Iterator[SimpleNamespace]:
    """moto's server on loopback, provisioned as `inbound up` provisions it, with the
    `stack.json` `inbound up` writes (by its own writer): `data_dir`, `endpoint`, `stack`."""
    with moto_server() as endpoint:
        stack = stack_at(endpoint, stage="local")
        write_runtime(SimpleNamespace(options=UpOptions(data_dir=data_dir), endpoint=endpoint, stack=stack))
        yield SimpleNamespace(data_dir=data_dir, endpoint=endpoint, stack=stack)


def without_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials, profile or config, and no instance metadata to fall back on."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
