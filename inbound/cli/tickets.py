"""`inbound tickets list|search|next|show|reply|note|close|cc` (assign: tickets_team.py;
priority, tag, merge, split, reopen: tickets_triage.py; forward: tickets_forward.py; signing in,
`inbound login`: login.py): the staff queue from a terminal, over the same HTTP API as the
console (local stack or a deployed stage). How a ticket prints: ticket_view.py."""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from inbound.cli.terminal import json_line, terminal_text
from inbound.cli.ticket_view import mailbox_note, ticket_page, ticket_table

LIST_FIELDS = ("id", "mailbox", "status", "subject", "requester", "assignee", "messages", "attachments")


def register(subparsers: Any) -> None:
    """Add `login` and `tickets` to the `inbound` command's subparsers."""
    from inbound.cli.tickets_triage import ticket_id

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=None, help="the API's base URL (default: the running local stack)")
    common.add_argument("--stage", default=None, help="a stage `chalice deploy` deployed from this folder")
    common.add_argument(
        "--data-dir", default=".inbound", help="the local stack's data dir, where the token is kept"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="tracebacks for failures")

    from inbound.cli import login

    login.register(subparsers, common)

    tickets = subparsers.add_parser(
        "tickets",
        help="staff queue from the terminal: list, search, next, show, reply, close, cc, assign, priority, "
        "tag, merge, split, reopen",
    )
    actions = tickets.add_subparsers(dest="action", required=True)
    show_list = actions.add_parser(
        "list", parents=[common], help="the queue: unassigned first, by priority, oldest"
    )
    show_list.add_argument("--mailbox", help="one mailbox's queue (default: the default mailbox), or 'all'")
    show_list.add_argument("--status", help="comma-separated, or 'all' (default new,open)")
    show_list.add_argument("--assignee", help="'me', 'none' or an agent")
    show_list.add_argument("--tag")
    show_list.add_argument(
        "--sort", choices=("queue", "due"), default="queue", help="due: by SLA due time, the soonest first"
    )
    show_list.add_argument("--limit", type=int, default=50)
    show_list.add_argument("--all", action="store_true", help="every page, not only the first")
    show_list.add_argument("--json", action="store_true", help="one JSON object per ticket")
    show_list.set_defaults(run=_list)
    search = actions.add_parser(
        "search", parents=[common], help="find tickets by id, address, domain, words or file name"
    )
    search.add_argument("query", help="e.g. T-1042, anna@kunde.de, @kunde.de, 'refund invoice', 請求書")
    search.add_argument("--mailbox")
    search.add_argument("--status", help="comma-separated, or 'all' (the default)")
    search.add_argument("--assignee", help="'me', 'none' or an agent")
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--all", action="store_true", help="every page, not only the first")
    search.add_argument("--json", action="store_true", help="one JSON object per ticket, as `list --json`")
    search.set_defaults(run=_search)
    claim = actions.add_parser("next", parents=[common], help="claim the next unassigned ticket")
    claim.add_argument("--mailbox")
    claim.add_argument("--json", action="store_true")
    claim.set_defaults(run=_next)
    show = actions.add_parser("show", parents=[common], help="a ticket with its messages")
    show.add_argument("ticket", type=ticket_id)
    show.add_argument("--full", action="store_true", help="whole bodies, quoted history included")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=_show)
    reply = actions.add_parser("reply", parents=[common], help="reply to the requester (through the guard)")
    reply.add_argument("ticket", type=ticket_id)
    reply.add_argument("text", help="the reply; '-' reads it from standard input")
    reply.add_argument(
        "--markdown",
        action="store_true",
        help="the text is markdown, as in the console (sent as HTML and text)",
    )
    reply.add_argument(
        "--attach", action="append", default=[], metavar="FILE", help="a file to send with it (repeatable)"
    )
    reply.set_defaults(run=_reply)
    note = actions.add_parser("note", parents=[common], help="add an internal note")
    note.add_argument("ticket", type=ticket_id)
    note.add_argument("text", help="the note; '-' reads it from standard input")
    note.set_defaults(run=_note)
    close = actions.add_parser("close", parents=[common], help="close a ticket (or mark it solved)")
    close.add_argument("ticket", type=ticket_id)
    close.add_argument(
        "--solved", action="store_true", help="solved (reopens on a customer reply) not closed"
    )
    close.set_defaults(run=_close)
    people = actions.add_parser(
        "cc", parents=[common], help="who replies copy: list, --add or --remove participants"
    )
    people.add_argument("ticket", type=ticket_id)
    people.add_argument("--add", action="append", default=[], metavar="ADDRESS")
    people.add_argument("--remove", action="append", default=[], metavar="ADDRESS")
    people.set_defaults(run=_cc)
    from inbound.cli import tickets_forward, tickets_team, tickets_triage

    tickets_team.register(actions, common, _calling)
    tickets_triage.register(actions, common, _calling)
    tickets_forward.register(actions, common, _calling)


# -- plumbing ----------------------------------------------------------------------
def _api_target(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """(the API's base URL, the running local stack's stack.json or {} for another API).

    `--stage` names a deployed stage's API (`.chalice/deployed/`), `--url` (or INBOUND_URL)
    any API; else the `inbound up` of `--data-dir`; else the API the last `inbound login`
    signed in to. A token a local run left is no such login.
    """
    from inbound.cli.staff_login import load_tokens
    from inbound.cli.target import NoStackRunning, running_stack

    data_dir = Path(args.data_dir)
    if args.stage:
        from inbound.cli.target import deployed_api

        return deployed_api(args.stage)["http"], {}
    named = args.url or os.environ.get("INBOUND_URL")
    try:
        local = running_stack(data_dir)
    except NoStackRunning as missing:
        if named:
            return named, {}
        cached = load_tokens(data_dir)
        if cached and cached.url and not cached.endpoint_url:
            return cached.url, {}
        # The staff API, not AWS: these commands take --url where the others take --endpoint-url.
        raise NoStackRunning(data_dir, missing.detail, "--data-dir, --stage or --url") from None
    if named and named.rstrip("/") != str(local.get("http", "")).rstrip("/"):
        return named, {}
    return str(local["http"]), local


def _calling(action: Callable[[Any, argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from inbound.cli.http_client import StaffApi
        from inbound.cli.staff_login import TokenSource

        url, local = _api_target(args)
        return action(StaffApi(url, TokenSource(Path(args.data_dir), url, local=local)), args)

    return run


def _text(value: str) -> str:
    return sys.stdin.read() if value == "-" else value


# -- the commands ---------------------------------------------------------------------
@_calling
def _list(api: Any, args: argparse.Namespace) -> int:
    filters = {"status": args.status, "assignee": args.assignee, "tag": args.tag}
    if args.sort != "queue":
        filters["sort"] = args.sort
    limit = min(max(args.limit, 1), 100)
    boxes: tuple[str, list[str]] | None = None
    if args.mailbox == "all":
        boxes = api.mailboxes()
        found = itertools.chain.from_iterable(
            api.tickets(follow=args.all, limit=limit, mailbox=box, **filters) for box in boxes[1]
        )
    else:
        found = api.tickets(follow=args.all, limit=limit, mailbox=args.mailbox, **filters)
    if args.json:
        return _print_tickets(found, True)
    rows = list(found)
    default, every = boxes or api.mailboxes()
    # With an assignee and no mailbox the API lists that agent's tickets of every mailbox.
    spread = args.mailbox == "all" or bool(args.assignee and not args.mailbox)
    width = shutil.get_terminal_size((120, 24)).columns
    print(ticket_table(rows, width, mailbox=spread) if rows else "No tickets.")
    print(mailbox_note("all" if spread else args.mailbox, default, every))
    return 0


@_calling
def _search(api: Any, args: argparse.Namespace) -> int:
    filters = {"mailbox": args.mailbox, "status": args.status, "assignee": args.assignee}
    found = api.tickets(follow=args.all, limit=min(max(args.limit, 1), 100), q=args.query, **filters)
    return _print_tickets(found, args.json)


def _print_tickets(found: Iterator[dict[str, Any]], as_json: bool) -> int:
    if as_json:
        for ticket in found:
            print(json_line({k: ticket.get(k) for k in LIST_FIELDS}), flush=True)
        return 0
    rows = list(found)
    print(ticket_table(rows, shutil.get_terminal_size((120, 24)).columns) if rows else "No tickets.")
    return 0


@_calling
def _next(api: Any, args: argparse.Namespace) -> int:
    ticket = api.claim_next(args.mailbox)
    if ticket is None:
        print(f"No unassigned ticket in {args.mailbox or 'the default mailbox'}.")
    elif args.json:
        print(json_line(ticket))
    else:
        print(
            terminal_text(
                f"Claimed {ticket['id']}: {ticket['subject']} ({ticket['requester']}, {ticket['priority']})"
            )
        )
    return 0


@_calling
def _show(api: Any, args: argparse.Namespace) -> int:
    from inbound.cli.tickets_team import remember_seen

    detail = api.ticket(args.ticket)
    print(json_line(detail, indent=2) if args.json else ticket_page(detail, args.full))
    remember_seen(args.data_dir, detail)
    return 0


@_calling
def _reply(api: Any, args: argparse.Namespace) -> int:
    from inbound.cli.target import CommandError

    text = _text(args.text)
    if not text.strip():
        raise CommandError("the reply is empty: give its text (or '-' to read it from standard input)")
    from inbound.cli.http_client import ApiError
    from inbound.cli.tickets_team import last_seen, stale

    files = [_attachment(path) for path in args.attach]
    try:
        keys = tuple(api.upload(args.ticket, *file) for file in files)
        seen = last_seen(args.data_dir, args.ticket)
        form = "markdown" if args.markdown else ""
        sent = api.reply(args.ticket, text, last_seen=seen, format=form, uploads=keys)
    except ApiError as exc:
        raise stale(exc, args.ticket) or exc from None
    print(terminal_text(f"Sent to {', '.join(sent['to'] + sent['cc'])} on {sent['ticket']}."))
    if sent.get("warnings"):
        print(terminal_text(f"Note: {sent['warnings']}"))
    return 0


def _attachment(path: str) -> tuple[str, str, bytes]:
    """(name, type, bytes) of a file to attach; its type as the console's browser would
    guess it from the name (the API judges the bytes again)."""
    import mimetypes
    from pathlib import Path

    from inbound.cli.target import CommandError

    try:
        payload = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}: attach a file that exists") from None
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Path(path).name, kind, payload


@_calling
def _note(api: Any, args: argparse.Namespace) -> int:
    note = api.note(args.ticket, _text(args.text))
    print(f"Note added to {note['ticket']}.")
    return 0


@_calling
def _close(api: Any, args: argparse.Namespace) -> int:
    ticket = api.update(args.ticket, status="solved" if args.solved else "closed")
    print(f"{ticket['id']} is {ticket['status']}.")
    return 0


@_calling
def _cc(api: Any, args: argparse.Namespace) -> int:
    ticket = api.ticket(args.ticket)["ticket"]
    for address in args.remove:
        ticket = api.participant(args.ticket, address, remove=True)
    for address in args.add:
        ticket = api.participant(args.ticket, address)
    print(
        terminal_text(
            f"{ticket['id']}: to {ticket['requester']}, cc {', '.join(ticket['participants']) or 'nobody'}"
        )
    )
    return 0
