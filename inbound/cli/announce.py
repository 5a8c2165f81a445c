"""`inbound announce create|list|test|send|status`: one message to many requesters.

Against the running `inbound up` of this folder (or `--data-dir`), an endpoint or a
deployed stage, as every stack command (inbound.cli.target). `send` only queues the recipient
batches; the `send_announcement` function sends them, paced, and `status` follows it.
"""

from __future__ import annotations

import argparse
import sys
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from chalicelib.domain.announcements import RecipientState
from chalicelib.domain.tickets import STATUSES
from inbound.cli.target import CommandError
from inbound.cli.terminal import counted, json_line, terminal_text

BAR_WIDTH = 30
_R = RecipientState
DONE = (_R.SENT, _R.DELIVERED, _R.BOUNCED, _R.COMPLAINED, _R.UNSUBSCRIBED, _R.REFUSED)
# Worth a line each in `status`: the recipients who got nothing, or may not have yet.
_NOTED = (_R.REFUSED, _R.BOUNCED, _R.COMPLAINED, _R.SENDING)


def _services(args: argparse.Namespace) -> Any:
    from inbound.cli.target import resolve

    target = resolve(args)
    from chalicelib.errors import PublicUrlMissing

    svc = target.services()
    try:
        svc.public_url()
    except PublicUrlMissing:
        raise CommandError(
            f"{target.description} does not know its URL (unsubscribe links point there): run "
            f"`inbound provision --stage {target.stage} --after-deploy` after `chalice deploy`, "
            "or set INBOUND_PUBLIC_URL (see DEPLOY.md), and run again"
        ) from None
    return svc


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None


def _create(args: argparse.Namespace) -> int:
    from chalicelib.services.announcement_audience import AudienceFilter

    svc = _services(args)
    service = svc.announcements
    text = _read(args.text_file) if args.text_file else (args.text or "")
    html = _read(args.html_file) if args.html_file else ""
    invalid: list[str] = []
    left_out = 0
    if args.list:
        recipients, invalid = service.audience_from_list(_read(args.list).splitlines())
        audience = f"uploaded list {args.list}"
    else:
        chosen = AudienceFilter(
            mailbox=args.tickets_mailbox,
            statuses=tuple(args.status or STATUSES),
            tag=args.tag,
            created_from=args.created_from or "",
            created_to=args.created_to or "",
            unauthenticated=args.include_unauthenticated,
        )
        (recipients, left_out), audience = service.audience_of(chosen), chosen.describe()
    mailbox = args.mailbox or svc.settings.default_mailbox
    draft = service.draft(mailbox, args.subject, text, recipients, html, audience, args.by, invalid, left_out)
    if args.dry_run:
        _preview(draft, args.json)
        return 1 if invalid else 0
    if not recipients:
        widen = "widen the filter (--status, --tag, --tickets-mailbox, dates) or pass --list FILE"
        if left_out:
            widen = (
                f"{counted(left_out, 'unauthenticated requester')} "
                f"{'was' if left_out == 1 else 'were'} left out: --include-unauthenticated includes them"
            )
        raise CommandError(terminal_text(f"the audience ({audience}) is empty: {widen}"))
    announcement = service.create(draft)
    if args.json:
        print(json_line(draft.as_dict()))
    else:
        print(terminal_text(f"{announcement.id}: {counted(len(recipients), 'recipient')} ({audience})"))
        _left_out(draft)
        print(
            f"test it: inbound announce test {announcement.id} --to YOU; send: inbound announce send {announcement.id}"
        )
    for line in invalid:
        print(terminal_text(f"invalid: {line}"), file=sys.stderr)
    return 1 if invalid else 0


def _text_of(mail: Any) -> str:
    """The text part with the terminal's line ends: the mail is SMTP's CRLF, and a carriage
    return printed would be a control (terminal_text shows it as U+FFFD)."""
    part = mail.get_body(("plain",))
    return str(part.get_content()).replace("\r\n", "\n") if part is not None else ""


def _left_out(draft: Any) -> None:
    if draft.unauthenticated:
        print(
            f"left out: {draft.unauthenticated} requesters whose mail was not authenticated (their address"
            " may have been forged); --include-unauthenticated includes them"
        )


def _preview(draft: Any, as_json: bool) -> None:
    mail = message_from_bytes(draft.sample, policy=policy.default) if draft.sample else None
    if as_json:
        sample = None
        if mail is not None:
            sample = {
                "to": str(mail["To"]),
                "subject": str(mail["Subject"]),
                "list_unsubscribe": str(mail["List-Unsubscribe"]),
                "list_unsubscribe_post": str(mail["List-Unsubscribe-Post"]),
                "text": _text_of(mail),
            }
        print(json_line({**draft.as_dict(), "dry_run": True, "sample": sample}))
        return
    print(
        terminal_text(
            f"dry run: {counted(len(draft.recipients), 'recipient')} ({draft.announcement.audience}); nothing stored"
        )
    )
    _left_out(draft)
    for line in draft.invalid:
        print(terminal_text(f"invalid: {line}"), file=sys.stderr)
    if mail is None:
        return
    print("--- the mail the first recipient would get ---")
    for name in ("From", "To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"):
        print(terminal_text(f"{name}: {mail[name]}"))
    print()
    print(terminal_text(_text_of(mail).rstrip()))


def _list(args: argparse.Namespace) -> int:
    for announcement in _services(args).announcements.listed():
        if args.json:
            print(json_line(announcement.as_dict()))
        else:
            print(
                terminal_text(
                    f"{announcement.id}\t{announcement.state}\t{announcement.total}\t{announcement.subject}"
                )
            )
    return 0


def _test(args: argparse.Namespace) -> int:
    ses_id = _services(args).announcements.test(args.id, args.to)
    print(f"{args.id}: test sent to {args.to} (SES message {ses_id})")
    return 0


def _send(args: argparse.Namespace) -> int:
    queued = _services(args).announcements.start(args.id)
    print(
        f"{args.id}: {counted(queued, 'recipient')} queued; follow it with `inbound announce status {args.id}`"
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    announcement, recipients = _services(args).announcements.status(args.id)
    if args.json:
        print(
            json_line(
                {
                    **announcement.as_dict(),
                    "recipients": [
                        {
                            "address": r.address,
                            "state": r.state,
                            "reason": r.reason,
                            "opens": r.opens,
                            "clicks": r.clicks,
                        }
                        for r in recipients
                    ],
                },
            )
        )
        return 0
    counts, total = announcement.counts, announcement.total
    done = sum(counts.get(s, 0) for s in DONE)
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    why = f" ({announcement.stopped_reason}: send it again to go on)" if announcement.stopped_reason else ""
    print(terminal_text(f"{announcement.id} {announcement.subject!r}: {announcement.state}{why}"))
    print(f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}")
    print("  ".join(f"{state} {counts.get(state, 0)}" for state in counts if counts.get(state, 0)))
    if announcement.opened or announcement.clicked:
        print(f"opened {announcement.opened}  clicked {announcement.clicked}")
    for r in recipients:
        if r.state in _NOTED or args.all:
            print(terminal_text(f"{r.address}\t{r.state}\t{r.reason}"))
    return 0


def register(commands: Any) -> None:
    """Add `announce` to the `inbound` command's subparsers."""
    import os

    from inbound.cli.target import options

    common = options()
    announce = commands.add_parser(
        "announce", help="announcements to many requesters, with one-click unsubscribe"
    )
    actions = announce.add_subparsers(dest="announce_command", required=True)

    create = actions.add_parser("create", parents=[common], help="choose an audience and write the message")
    create.add_argument("--subject", required=True, help="placeholders: {name} {email} {ticket}")
    body = create.add_mutually_exclusive_group(required=True)
    body.add_argument("--text", help="the text body (placeholders as in --subject)")
    body.add_argument("--text-file", help="the text body from a file (- reads stdin)")
    create.add_argument("--html-file", help="an HTML body too (sanitised as the console does)")
    create.add_argument("--mailbox", help="send from this mailbox (default: the default mailbox)")
    create.add_argument(
        "--list", help="the audience from a file: address, `Name <address>` or `address,Name`"
    )
    create.add_argument("--tickets-mailbox", help="requesters of this mailbox's tickets only")
    create.add_argument("--status", action="append", help="of tickets in this status (repeatable)")
    create.add_argument("--tag", help="of tickets with this tag")
    create.add_argument("--created-from", help="of tickets created on or after (YYYY-MM-DD)")
    create.add_argument("--created-to", help="of tickets created on or before (YYYY-MM-DD)")
    create.add_argument(
        "--include-unauthenticated",
        action="store_true",
        help="requesters whose mail was not authenticated too (left out by default: their address may be forged)",
    )
    create.add_argument("--by", default=os.environ.get("USER", "cli"), help="who writes it")
    create.add_argument(
        "--dry-run", action="store_true", help="the audience count and one mail; store nothing"
    )
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=_create)

    listing = actions.add_parser("list", parents=[common], help="the newest announcements")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)

    test = actions.add_parser("test", parents=[common], help="send one copy to yourself")
    test.add_argument("id")
    test.add_argument("--to", required=True, help="your address")
    test.set_defaults(run=_test)

    send = actions.add_parser("send", parents=[common], help="queue every pending recipient")
    send.add_argument("id")
    send.set_defaults(run=_send)

    status = actions.add_parser("status", parents=[common], help="progress and each recipient's state")
    status.add_argument("id")
    status.add_argument("--json", action="store_true", help="one JSON object, recipients included")
    status.add_argument("--all", action="store_true", help="list every recipient, not only the problems")
    status.set_defaults(run=_status)
