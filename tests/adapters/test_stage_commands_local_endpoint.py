"""`inbound provision` and `inbound teardown` with --endpoint-url from a shell without AWS
credentials: the endpoint is an emulator's (moto takes any credentials), as for every other
command's --endpoint-url, so a new operator can rehearse both against moto's server.
"""

from __future__ import annotations

import pytest

from inbound.cli import main
from tests.support.stack_dir import without_aws_credentials

STAGE = "rehearsal"


def test_provision_and_a_teardown_plan_need_no_credentials_for_an_endpoint(
    endpoint: str,  # moto's server on loopback (tests/adapters/conftest.py)
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    without_aws_credentials(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)  # the project dir: no .chalice/ here
    at = ["--stage", STAGE, "--region", "us-east-1", "--endpoint-url", endpoint]

    assert main(["provision", "--domain", "example.com", *at]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["teardown", *at]) == 0, capsys.readouterr().err

    out = capsys.readouterr().out
    assert (
        "would delete" in out
        and f"inbound teardown --stage {STAGE} --region us-east-1 --endpoint-url {endpoint}" in out
    )
