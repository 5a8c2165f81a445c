"""`inbound tickets priority|tag|merge|split|reopen`: triage from the terminal, over the same
API routes as the console (PATCH a ticket, POST .../merge and .../split)."""

from __future__ import annotations

import argparse
import re
from typing import Any

from chalicelib.domain.tickets import Priority
from inbound.cli.target import CommandError
from inbound.cli.terminal import counted, terminal_text

PRIORITIES = tuple(p.value for p in reversed(Priority))  # plain words: argparse shows their repr


_TICKET_NUMBER = re.compile(r"(?:[tT]-)?(\d{1,12})")


def ticket_id(value: str) -> str:
    """A ticket as a person types it: `t-1001` or `1001` is T-1001; anything else as given
    (the API answers 404 for it)."""
    found = _TICKET_NUMBER.fullmatch(value.strip())
    return f"T-{found.group(1)}" if found else value


def register(actions: Any, common: argparse.ArgumentParser, calling: Any) -> None:
    priority = actions.add_parser("priority", parents=[common], help="set a ticket's priority")
    priority.add_argument("ticket", type=ticket_id)
    priority.add_argument("priority", choices=PRIORITIES)
    priority.set_defaults(run=calling(_priority))
    tag = actions.add_parser("tag", parents=[common], help="add tags to a ticket, or --remove them")
    tag.add_argument("ticket", type=ticket_id)
    tag.add_argument("tags", nargs="*", metavar="TAG", help="tags to add")
    tag.add_argument("--remove", action="append", default=[], metavar="TAG", help="a tag to take off")
    tag.set_defaults(run=calling(_tag))
    merge = actions.add_parser(
        "merge", parents=[common], help="move every message of a ticket into another; it closes"
    )
    merge.add_argument("ticket", type=ticket_id)
    merge.add_argument("into", type=ticket_id, help="the ticket that stays")
    merge.set_defaults(run=calling(_merge))
    split = actions.add_parser("split", parents=[common], help="move one message out into a new ticket")
    split.add_argument("ticket", type=ticket_id)
    split.add_argument("message", help="its number in `inbound tickets show` ([2] is 2), or its key")
    split.set_defaults(run=calling(_split))
    reopen = actions.add_parser("reopen", parents=[common], help="open a pending, solved or closed ticket")
    reopen.add_argument("ticket", type=ticket_id)
    reopen.set_defaults(run=calling(_reopen))


def _priority(api: Any, args: argparse.Namespace) -> int:
    ticket = api.update(args.ticket, priority=args.priority)
    print(f"{ticket['id']} has {ticket['priority']} priority.")
    return 0


def _tag(api: Any, args: argparse.Namespace) -> int:
    if not args.tags and not args.remove:
        raise CommandError("name a tag to add, or --remove TAG")
    tags = api.ticket(args.ticket)["ticket"]["tags"]
    wanted = [t for t in dict.fromkeys([*tags, *args.tags]) if t not in args.remove]
    ticket = api.update(args.ticket, tags=wanted)
    print(f"{ticket['id']} tags: {', '.join(ticket['tags']) or 'none'}.")
    return 0


def _merge(api: Any, args: argparse.Namespace) -> int:
    ticket = api.merge(args.ticket, args.into)
    print(f"{args.ticket} merged into {ticket['id']} ({counted(ticket['messages'], 'message')} there now).")
    return 0


def _split(api: Any, args: argparse.Namespace) -> int:
    key = message_key(api.ticket(args.ticket), args.ticket, args.message)
    new = api.split(args.ticket, key)
    print(terminal_text(f"Split into {new['id']}: {new['subject']} (linked to {args.ticket})."))
    return 0


def _reopen(api: Any, args: argparse.Namespace) -> int:
    ticket = api.update(args.ticket, status="open")
    print(f"{ticket['id']} is open again.")
    return 0


def message_key(detail: dict[str, Any], ticket_id: str, chosen: str) -> str:
    """The key of message `chosen`: numbered as `tickets show` numbers them (event lines
    are not numbered), or a key as `tickets show --json` prints it."""
    messages = [m for m in detail["messages"] if m["kind"] != "event"]
    if chosen.isdigit():
        if not 1 <= int(chosen) <= len(messages):
            raise CommandError(
                f"{ticket_id} has messages [1] to [{len(messages)}] (`inbound tickets show {ticket_id}`)"
            )
        return str(messages[int(chosen) - 1]["key"])
    if chosen not in {m["key"] for m in messages}:
        raise CommandError(
            f"{ticket_id} has no message {chosen} (`inbound tickets show {ticket_id}` numbers them)"
        )
    return chosen
