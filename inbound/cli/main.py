"""The `inbound` command for operators, developers and staff."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence


def _process(args: argparse.Namespace) -> int:
    from inbound.local.embedded import embedded_stack
    from inbound.local.replay import Replayer, eml_files

    logging.basicConfig(level=logging.WARNING if not args.verbose else logging.INFO, stream=sys.stderr)
    counts: Counter[str] = Counter()
    with embedded_stack(domain=args.domain) as stack:
        started = time.perf_counter()
        replayer = Replayer(stack.intake, stack.store)
        recipients = tuple(args.to) if args.to else ()
        for path in eml_files(args.paths):
            try:
                raw = path.read_bytes()
            except OSError as exc:
                print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
                counts["unreadable"] += 1
                continue
            outcome = replayer.process_bytes(raw, recipients)
            counts[outcome.outcome] += 1
            if args.json:
                print(json.dumps(outcome.as_json(str(path)), ensure_ascii=False), flush=True)
            else:
                detail = outcome.ticket or ""
                if outcome.thread_signal and outcome.ticket:
                    detail += f" ({outcome.thread_signal})"
                if outcome.reason:
                    detail += f" {outcome.reason}"
                print(f"{path}: {outcome.outcome} {detail}".rstrip(), flush=True)
        elapsed = time.perf_counter() - started
    total = sum(counts.values())
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    per = f", {elapsed / total * 1000:.1f} ms per message" if total else ""
    print(f"{total} files: {summary or 'none'} in {elapsed:.1f} s{per}", file=sys.stderr)
    return 1 if counts["unreadable"] else 0


def _package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from inbound.stage.package import PackageFailed, package

    try:
        template = package(args.stage, Path(args.outdir), Path(args.project_dir))
    except PackageFailed as exc:
        print(f"inbound package: {exc}", file=sys.stderr)
        return 1
    print(f"{template}: the stage's functions and every resource they need, in one template")
    return 0


def _up(args: argparse.Namespace) -> int:
    from pathlib import Path

    from inbound.local.stack import UpOptions, run

    options = UpOptions(
        args.smtp_port, args.http_port, Path(args.data_dir), args.domain.lower(), args.host, args.sandbox
    )
    return run(options)


def _outbox(args: argparse.Namespace) -> int:
    from pathlib import Path

    from inbound.cli.target import NoStackRunning
    from inbound.local.ses_sending import read_outbox

    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        raise NoStackRunning(data_dir)  # the outbox is read from disk; a stopped stack's too
    entries = read_outbox(data_dir)
    if args.message_id:
        found = [e for e in entries if e["message_id"] == args.message_id]
        if not found:
            print(f"no message {args.message_id} in {data_dir / 'outbox'}", file=sys.stderr)
            return 1
        sys.stdout.write((data_dir / "outbox" / found[0]["file"]).read_text())
        return 0
    for entry in entries:
        if args.json:
            print(json.dumps(entry))
        else:
            events = ",".join(entry["events"]) or "no events"
            print(
                f"{entry['sent_at']}  {entry['message_id']}  to {', '.join(entry['to'])}  {entry['subject']!r}  [{events}]"
            )
    if not entries and not args.json:
        print(f"the outbox at {data_dir / 'outbox'} is empty")
    return 0


# -- expected failures, in one line each -------------------------------------------------
_CREDENTIALS_HINT = "renew your AWS credentials (e.g. `aws sso login`, or a new key) and try again"
# botocore ClientError codes, with what to do about them.
_CODE_HINTS = {
    **dict.fromkeys(
        (
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
        ),
        f"your AWS credentials are expired or invalid: {_CREDENTIALS_HINT}",
    ),
    **dict.fromkeys(
        ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"),
        "your AWS identity may not do this: use one that may (see DEPLOY.md for the policies)",
    ),
    **dict.fromkeys(
        (
            "ResourceNotFoundException",
            "NoSuchBucket",
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            "ParameterNotFound",
            "NotFound",
        ),
        "the stage is missing a resource: run `inbound provision` for it first",
    ),
    **dict.fromkeys(
        ("Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"),
        "AWS is throttling these requests: try again in a minute",
    ),
    "UserNotFoundException": "no such agent: `inbound staff list` shows who there is",
    "UsernameExistsException": "that agent exists already: `inbound staff list` shows them",
}


def explain(exc: BaseException) -> str | None:
    """What happened and what to do, for an expected failure; None for a bug (traceback)."""
    from botocore import exceptions as boto

    from chalicelib.errors import InboundError, SendRefused
    from inbound.cli.http_client import ApiError
    from inbound.cli.staff_login import LoginRequired
    from inbound.cli.target import CommandError

    if isinstance(exc, CommandError | LoginRequired):
        return str(exc)
    if isinstance(exc, ApiError):
        if exc.status == 0:
            return f"{exc.reason}: is the stack running (`make run`)? or check --url"
        if exc.status == 401:
            return f"{exc} — the API refused the sign-in: run `inbound login`"
        if exc.status >= 500:
            return f"{exc} — the API failed; its log (`inbound up`'s output, or CloudWatch) says why"
        return str(exc)
    if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
        return (
            "no AWS credentials for this stage: configure them (`aws configure`, AWS_PROFILE), "
            "or leave out --stage to work on the local stack of this folder"
        )
    if isinstance(exc, boto.TokenRetrievalError | boto.SSOError):
        return f"your AWS sign-in has expired: {_CREDENTIALS_HINT}"
    if isinstance(exc, boto.ProfileNotFound):
        return f"{exc}: name a profile of ~/.aws/config in AWS_PROFILE, or unset it"
    if isinstance(exc, boto.NoRegionError):
        return "no AWS Region: pass --region"
    if isinstance(
        exc,
        boto.EndpointConnectionError
        | boto.ConnectionClosedError
        | boto.ConnectTimeoutError
        | boto.ReadTimeoutError,
    ):
        where = str(exc.kwargs.get("endpoint_url", "AWS"))
        if ".amazonaws.com" in where:
            return f"cannot reach {where}: check your network (or its proxy) and try again"
        return f"cannot reach {where}: is the stack still running (`make run`)? or check your network"
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        hint = _CODE_HINTS.get(code, "AWS refused the request")
        return f"{exc.operation_name} refused ({code}: {message}) — {hint}"
    if isinstance(exc, SendRefused):
        return f"not sent ({exc.reason}): {exc.detail}"
    if isinstance(exc, InboundError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inbound", description="Support mail on Amazon SES.")
    parser.add_argument(
        "-v", "--verbose", dest="verbose_all", action="store_true", help="tracebacks for failures"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    process = commands.add_parser(
        "process", help="run .eml files through the real pipeline on an embedded stack"
    )
    process.add_argument("paths", nargs="+", help=".eml files or folders of them")
    process.add_argument("--json", action="store_true", help="one JSON object per line")
    process.add_argument("--domain", default="example.com")
    process.add_argument("--to", action="append", help="envelope recipient (default: the mail's To and Cc)")
    process.add_argument("-v", "--verbose", action="store_true")
    process.set_defaults(run=_process)

    up = commands.add_parser("up", help="run the whole system on this machine, in the foreground")
    up.add_argument("--smtp-port", type=int, default=2525)
    up.add_argument("--http-port", type=int, default=8000)
    up.add_argument("--data-dir", default=".inbound", help="state kept across restarts (default .inbound/)")
    up.add_argument("--domain", default="example.com")
    up.add_argument(
        "--host",
        default="127.0.0.1",
        help="address SMTP and the console listen on (loopback by default; the embedded AWS stays on loopback)",
    )
    up.add_argument("--sandbox", action="store_true", help="emulate the SES sandbox for outgoing mail")
    up.set_defaults(run=_up)

    outbox = commands.add_parser("outbox", help="mail the local stack sent (its emulated SES outbox)")
    outbox.add_argument("message_id", nargs="?", help="show this message in full")
    outbox.add_argument(
        "--data-dir", default=".inbound", help="the local stack's data dir (default .inbound/)"
    )
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("-v", "--verbose", action="store_true", help="tracebacks for failures")
    outbox.set_defaults(run=_outbox)

    pkg = commands.add_parser(
        "package", help="the Lambda zip and one CloudFormation template for a stage (chalice package)"
    )
    pkg.add_argument("--stage", required=True)
    pkg.add_argument("--project-dir", default=".", help="the Chalice project (default: here)")
    pkg.add_argument("outdir", help="where deployment.zip and sam.json go")
    pkg.set_defaults(run=_package)

    from inbound.cli.provision import register as register_provision

    register_provision(commands)
    from inbound.cli.verify import register as register_verify

    register_verify(commands)
    from inbound.cli.suppression import register as register_suppression

    register_suppression(commands)
    from inbound.cli.tickets import register as register_tickets

    register_tickets(commands)
    from inbound.cli.staff import register as register_staff

    register_staff(commands)
    from inbound.cli.secret import register as register_secret

    register_secret(commands)
    from inbound.cli.redrive import register as register_redrive

    register_redrive(commands)
    from inbound.cli.reindex import register as register_reindex

    register_reindex(commands)
    from inbound.cli.announce import register as register_announce

    register_announce(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an expected failure is one line on stderr (a traceback with -v)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the command's outermost handler
        line = explain(exc)
        if line is None or args.verbose_all or getattr(args, "verbose", False):
            raise
        print(f"inbound {args.command}: {line}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
