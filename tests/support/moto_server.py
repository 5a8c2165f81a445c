"""moto's server as `inbound up` serves it (inbound/local/moto_endpoint.py), on loopback, for a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inbound.local.embedded import emulated_aws, offline_credentials


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from inbound.local import moto_endpoint

    offline_credentials()
    emulated_aws()
    with moto_endpoint.serve() as url:
        yield url
