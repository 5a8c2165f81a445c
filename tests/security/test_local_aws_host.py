"""`inbound up --host ADDR` opens SMTP and the console on ADDR, never the embedded AWS.

The address used is this machine's own non-loopback interface address (traffic to it
stays on the machine); without one the test is skipped.
"""

from __future__ import annotations

import fcntl
import socket
import struct
from urllib.parse import urlsplit

import pytest

from tests.support.local_up import UpProcess, start_up

pytestmark = pytest.mark.e2e

_SIOCGIFADDR = 0x8915


def own_address() -> str | None:
    """An IPv4 address of one of this machine's own non-loopback interfaces."""
    for _, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                packed = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue  # no IPv4 address on this interface
        address = socket.inet_ntoa(packed[20:24])
        if not address.startswith("127."):
            return address
    return None


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=5):
            return True
    except OSError:
        return False


def test_host_applies_to_smtp_and_http_only(tmp_path) -> None:
    address = own_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 interface address")
    started: list[UpProcess] = []
    try:
        up = start_up(tmp_path / "data", tmp_path, started, extra=("--host", address))
        moto = urlsplit(up.endpoint)
        assert moto.hostname == "127.0.0.1"
        assert reachable(address, up.smtp_port)  # --host took effect for SMTP
        assert reachable(address, up.http_port)  # and for the console
        assert not reachable(address, int(moto.port or 0))
    finally:
        for up in started:
            assert up.stop() == 0, up.stderr()
