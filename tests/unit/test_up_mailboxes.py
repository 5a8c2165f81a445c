"""`inbound up`'s mailboxes (inbound/cli/up.py): `--mailbox`, else INBOUND_MAILBOXES, else provision's.

GIVEN names or addresses, THEN they become addresses at the domain, in order (the first is
the default mailbox), once each; INBOUND_MAILBOXES, the functions' own variable, counts when
no `--mailbox` is given; one at another domain is the one line to print. And `--help` says
what README says of the ports.
"""

from __future__ import annotations

import pytest

from inbound.cli.main import build_parser
from inbound.cli.up import mailbox_addresses


def test_names_and_addresses_become_the_domain_s_addresses_in_order() -> None:
    got = mailbox_addresses("example.com", ["Support", "sales@example.com", "billing", "sales"], "")
    assert got == ("support@example.com", "sales@example.com", "billing@example.com")


def test_inbound_mailboxes_counts_when_no_option_is_given() -> None:
    configured = "support@example.com=support, billing@example.com=billing,sales@example.com=sales"
    assert mailbox_addresses("example.com", [], configured) == (
        "support@example.com",
        "billing@example.com",
        "sales@example.com",
    )
    assert mailbox_addresses("example.com", ["help"], configured) == ("help@example.com",)
    assert mailbox_addresses("example.com", [], "") == ()


def test_a_mailbox_at_another_domain_is_what_to_print() -> None:
    assert mailbox_addresses("example.com", [], "sales@shop.example=sales") == (
        "INBOUND_MAILBOXES 'sales@shop.example' is not a mailbox at example.com"
        " (give a name such as sales, or sales@example.com)"
    )


def test_up_s_help_says_port_0_takes_any_free_port_as_readme_does(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["up", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--smtp-port SMTP_PORT SMTP port (default 2525; 0: any free port)" in shown
    assert "(default 8000; 0: any free port)" in shown


def test_a_default_language_inbound_does_not_write_stops_up_before_it_starts(tmp_path, monkeypatch, capsys):
    """The local functions inherit INBOUND_DEFAULT_LANGUAGE from the shell: a typo is one line
    from `inbound up`, not a failure in every function the stack runs."""
    from inbound.cli.main import main

    monkeypatch.setenv("INBOUND_DEFAULT_LANGUAGE", "deutsch")
    assert main(["up", "--data-dir", str(tmp_path / "stack"), "--smtp-port", "0", "--http-port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "inbound up: INBOUND_DEFAULT_LANGUAGE='deutsch' is not a language inbound writes (en, de);"
        " unset it for English"
    )
    assert not (tmp_path / "stack").exists()
