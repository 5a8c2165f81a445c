"""`inbound up`: the whole system on this machine; `inbound outbox`: the mail it sent."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _up(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chalicelib.domain.customer_language import setting_language
    from inbound.local import heap

    try:  # the functions read it from the environment they inherit: a typo fails here, not in each
        setting_language(os.environ.get("INBOUND_DEFAULT_LANGUAGE", ""))
    except ValueError as exc:
        print(f"inbound up: {exc}; unset it for English", file=sys.stderr)
        return 2

    heap.hold()  # until the stack is up (foreground settles it)
    from inbound.cli.target import CommandError, NoStackRunning, running_stack
    from inbound.local.foreground import run
    from inbound.local.stack import UpOptions

    try:
        running = running_stack(Path(args.data_dir))
    except NoStackRunning:
        pass
    else:
        raise CommandError(
            f"already running for {args.data_dir} (process {running['pid']}, {running['http']}):"
            " use that one, stop it first (Ctrl-C where it runs), or pass another --data-dir"
        )
    domain = args.domain.lower()
    mailboxes = mailbox_addresses(domain, args.mailbox or [], os.environ.get("INBOUND_MAILBOXES", ""))
    if isinstance(mailboxes, str):
        print(f"inbound up: {mailboxes}", file=sys.stderr)
        return 2
    options = UpOptions(
        args.smtp_port,
        args.http_port,
        Path(args.data_dir),
        domain,
        args.host,
        args.sandbox,
        args.workers,
        mailboxes,
    )
    return run(options)


def mailbox_addresses(domain: str, given: list[str], configured: str) -> tuple[str, ...] | str:
    """The local stack's mailboxes: `--mailbox` (a name, or an address at the domain), else
    INBOUND_MAILBOXES ("address=name,...", as the functions read it); empty: the defaults.
    A string: what is wrong, for one line."""
    named = given or [item.partition("=")[0] for item in configured.split(",")]
    addresses = []
    for mailbox in (m.strip().lower() for m in named):
        if not mailbox:
            continue
        address = mailbox if "@" in mailbox else f"{mailbox}@{domain}"
        if address.partition("@")[2] != domain or not address.partition("@")[0]:
            source = "--mailbox" if given else "INBOUND_MAILBOXES"
            return f"{source} {mailbox!r} is not a mailbox at {domain} (give a name such as sales, or sales@{domain})"
        addresses.append(address)
    return tuple(dict.fromkeys(addresses))


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (0 or more)")
    return count


def _outbox(args: argparse.Namespace) -> int:
    from pathlib import Path

    from inbound.cli.target import NoStackRunning
    from inbound.cli.terminal import terminal_text
    from inbound.local.ses_outbox import read_outbox

    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        raise NoStackRunning(data_dir, elsewhere="--data-dir")  # read from disk; a stopped stack's too
    entries = read_outbox(data_dir)
    if args.message_id:
        found = [e for e in entries if e["message_id"] == args.message_id]
        if not found:
            print(
                terminal_text(
                    f"no message {args.message_id} in {data_dir / 'outbox'}: `inbound outbox` lists them"
                ),
                file=sys.stderr,
            )
            return 1
        raw = (data_dir / "outbox" / found[0]["file"]).read_text()
        # The mail as sent, byte for byte, into a pipe; on a terminal its controls are shown.
        sys.stdout.write(terminal_text(raw.replace("\r\n", "\n")) if sys.stdout.isatty() else raw)
        return 0
    for entry in entries:
        if args.json:
            print(json.dumps(entry))
        else:
            events = ",".join(entry["events"]) or "no events"
            print(
                terminal_text(
                    f"{entry['sent_at']}  {entry['message_id']}  to {', '.join(entry['to'])}  "
                    f"{entry['subject']!r}  [{events}]"
                )
            )
    if not entries and not args.json:
        print(f"the outbox at {data_dir / 'outbox'} is empty")
    return 0


def register(commands: Any) -> None:
    up = commands.add_parser("up", help="run the whole system on this machine, in the foreground")
    up.add_argument("--smtp-port", type=int, default=2525, help="SMTP port (default 2525; 0: any free port)")
    up.add_argument(
        "--http-port",
        type=int,
        default=8000,
        help="the API's and console's port (default 8000; 0: any free port)",
    )
    up.add_argument("--data-dir", default=".inbound", help="state kept across restarts (default .inbound/)")
    up.add_argument(
        "--domain", default="example.com", help="the domain the mailboxes are at (default example.com)"
    )
    up.add_argument(
        "--host",
        default="127.0.0.1",
        help="address SMTP and the console listen on (loopback by default; the embedded AWS stays on loopback)",
    )
    up.add_argument("--sandbox", action="store_true", help="emulate the SES sandbox for outgoing mail")
    up.add_argument(
        "--mailbox",
        action="append",
        metavar="NAME",
        help="a mailbox of the domain, e.g. sales or sales@example.com; repeat for each, the first is"
        " the default (default: INBOUND_MAILBOXES, else support and billing)",
    )
    up.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help="worker processes running the queue-driven Lambda handlers (default: one per CPU;"
        " 0: in the main process)",
    )
    up.set_defaults(run=_up)

    outbox = commands.add_parser("outbox", help="mail the local stack sent (its emulated SES outbox)")
    outbox.add_argument("message_id", nargs="?", help="show this message in full")
    outbox.add_argument(
        "--data-dir", default=".inbound", help="the local stack's data dir (default .inbound/)"
    )
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("-v", "--verbose", action="store_true", help="tracebacks for failures")
    outbox.set_defaults(run=_outbox)
