"""`inbound tickets forward T-n --to ADDRESS [--note TEXT] [--message N|KEY]`: the console's
Forward over the same API route (POST .../forward): the whole ticket, or one message of it,
to a third party through the outbound guard, recorded in the thread."""

from __future__ import annotations

import argparse
from typing import Any

from inbound.cli.terminal import terminal_text
from inbound.cli.tickets_triage import message_key, ticket_id


def register(actions: Any, common: argparse.ArgumentParser, calling: Any) -> None:
    forward = actions.add_parser(
        "forward", parents=[common], help="forward the ticket, or one message, to another address"
    )
    forward.add_argument("ticket", type=ticket_id)
    forward.add_argument("--to", required=True, metavar="ADDRESS", help="one address outside this desk")
    forward.add_argument("--note", default="", metavar="TEXT", help="a few words above the forwarded mail")
    forward.add_argument(
        "--message",
        metavar="N|KEY",
        help="only this message: its number in `inbound tickets show`, or its key",
    )
    forward.set_defaults(run=calling(_forward))


def _forward(api: Any, args: argparse.Namespace) -> int:
    key = message_key(api.ticket(args.ticket), args.ticket, args.message) if args.message else ""
    done = api.forward(args.ticket, args.to, args.note, key)
    print(terminal_text(f"{args.ticket}: {done['recorded']}."))
    return 0
