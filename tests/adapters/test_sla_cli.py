"""`inbound sla show/set --stage test` on the provisioned table (moto stands in for AWS)."""

from __future__ import annotations

import json

from inbound.cli import main


def test_the_cli_sets_a_target_shows_it_and_refuses_a_typo_in_one_line(stack, capsys):
    assert (
        main(
            [
                "sla",
                "set",
                "support",
                "urgent",
                "--first-response",
                "60",
                "--resolution",
                "480",
                "--stage",
                "test",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert ["support", "urgent", "1", "h", "8", "h"] in [line.split() for line in printed.splitlines()]
    assert main(["sla", "show", "--json", "--stage", "test"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {
        "mailbox": "support",
        "priority": "urgent",
        "first_response_minutes": 60,
        "resolution_minutes": 480,
    } in (shown["targets"])
    assert main(["sla", "set", "sales", "urgent", "--first-response", "60", "--stage", "test"]) != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unknown mailbox 'sales'" in err
