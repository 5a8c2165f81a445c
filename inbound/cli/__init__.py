"""The `inbound` command for operators, developers and staff: one module per command group,
registered by `main` (the console script `inbound = "inbound.cli:main"` names it here)."""

from inbound.cli.main import main

__all__ = ["main"]
