"""`inbound sla show/set --stage test` on the provisioned table (moto stands in for AWS)."""

from __future__ import annotations

import json

from inbound.cli import main
from tests.support.desk_helpers import new_ticket


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


def test_setting_a_target_moves_the_unsolved_tickets_filed_before_it(stack, capsys):
    filed = [new_ticket(stack, f"Filed before the target {n}", sender=f"f{n}@customer.org") for n in range(2)]
    args = ["sla", "set", "support", "normal", "--first-response", "30", "--resolution", "240"]
    assert main([*args, "--stage", "test"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"{len(filed)} open normal tickets of support moved to the new target"), last
    assert main([*args, "--stage", "test"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("0 open normal tickets"), "once"


def test_set_changes_only_the_target_it_names_and_refuses_naming_none(stack, capsys):
    """GIVEN both targets set WHEN only --resolution is given THEN the first response keeps its
    value; WHEN neither is given THEN one line says what to add and nothing changes."""
    both = [
        "sla",
        "set",
        "billing",
        "high",
        "--first-response",
        "30",
        "--resolution",
        "240",
        "--stage",
        "test",
    ]
    assert main(both) == 0
    assert main(["sla", "set", "billing", "high", "--resolution", "960", "--stage", "test"]) == 0
    assert main(["sla", "set", "billing", "high", "--stage", "test"]) != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--first-response MIN and/or --resolution MIN" in err
    assert main(["sla", "show", "--json", "--stage", "test"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {
        "mailbox": "billing",
        "priority": "high",
        "first_response_minutes": 30,
        "resolution_minutes": 960,
    } in shown["targets"]
