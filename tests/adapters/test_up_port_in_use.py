"""`inbound up` where a port it wants is taken: one line saying what to do, or another port.

GIVEN a stack already running for the folder (its stack.json names a live process) WHEN
`inbound up` starts again THEN it refuses in one line, naming the running one. GIVEN the
embedded AWS's port of the last run taken by another program THEN moto's server is an
OSError to the caller (werkzeug alone prints two lines and exits), so `inbound up` takes
another port.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from inbound.cli import main
from inbound.local.moto_endpoint import serve


def test_a_second_up_for_the_same_folder_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    running = {"pid": os.getpid(), "http": "http://127.0.0.1:8000", "smtp": "127.0.0.1:2525"}
    (data / "stack.json").write_text(json.dumps(running))
    with socket.create_server(("127.0.0.1", 0)) as taken:  # were it to start, it fails fast
        port = str(taken.getsockname()[1])
        code = main(
            ["up", "--data-dir", str(data), "--smtp-port", port, "--http-port", port, "--workers", "0"]
        )

    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1, err
    assert (
        err.startswith("inbound up: already running for")
        and f"{data} (process {os.getpid()}, http://127.0.0.1:8000)" in err
    )
    assert "stop it first" in err and "Traceback" not in err


def test_moto_s_server_on_a_taken_port_is_an_os_error_and_on_a_free_one_serves(capsys) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError), serve(port):
            pass
    assert capsys.readouterr().err == ""
    with serve(0) as endpoint:
        assert int(endpoint.rpartition(":")[2]) > 0
        with socket.create_connection(("127.0.0.1", int(endpoint.rpartition(":")[2])), timeout=10):
            pass
