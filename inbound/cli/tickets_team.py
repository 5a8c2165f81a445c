"""Two agents, one ticket, from the terminal: the last message an agent saw, and taking a
colleague's ticket (`inbound tickets assign ... --force`).

`tickets show` remembers the newest message it printed per ticket (<data-dir>/seen.json);
`tickets reply` sends it as `last_seen`, so the API refuses a reply written before the
customer or a colleague wrote again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from inbound.cli.target import CommandError
from inbound.cli.tickets_triage import ticket_id


def _seen_file(data_dir: str) -> Path:
    return Path(data_dir) / "seen.json"


def remember_seen(data_dir: str, detail: dict[str, Any]) -> None:
    """Note the newest message of a ticket just shown."""
    messages = detail.get("messages") or []
    if not messages or not Path(data_dir).is_dir():
        return
    path = _seen_file(data_dir)
    try:
        seen = json.loads(path.read_text())
    except (OSError, ValueError):
        seen = {}
    seen[detail["ticket"]["id"]] = messages[-1]["key"]
    path.write_text(json.dumps(seen))


def last_seen(data_dir: str, ticket_id: str) -> str | None:
    """The newest message `tickets show` printed of this ticket; None if never shown."""
    try:
        return json.loads(_seen_file(data_dir).read_text()).get(ticket_id.upper())
    except (OSError, ValueError, AttributeError):
        return None


def stale(exc: Any, ticket_id: str) -> CommandError | None:
    """The one line for a reply the API refused as written against an old thread."""
    if getattr(exc, "error", "") != "stale":
        return None
    return CommandError(f"not sent: {exc.reason} (`inbound tickets show {ticket_id}`, then reply again)")


def register(actions: Any, common: argparse.ArgumentParser, calling: Any) -> None:
    assign = actions.add_parser(
        "assign", parents=[common], help="assign a ticket to an agent, 'me' or 'none'"
    )
    assign.add_argument("ticket", type=ticket_id)
    assign.add_argument("agent", help="a colleague's sign-in address, 'me' or 'none'")
    assign.add_argument("--force", action="store_true", help="take it from the colleague who has it")
    assign.set_defaults(run=calling(_assign))


def _assign(api: Any, args: argparse.Namespace) -> int:
    from inbound.cli.http_client import ApiError

    try:
        ticket = api.update(args.ticket, assignee=args.agent, **({"take_over": True} if args.force else {}))
    except ApiError as exc:
        if exc.error == "assigned":
            raise CommandError(f"{exc.reason}; add --force to take it over") from None
        raise
    who = ticket["assignee"] or "nobody"
    print(f"{ticket['id']} is assigned to {who} ({ticket['status']}).")
    return 0
