"""`inbound up` in the foreground: the ports (0 means any free one), moto's server on the port
of the last run, the local stack started, the banner and `stack.json` (where this run listens,
for the other commands), then a save of the state every few seconds, and on SIGINT or SIGTERM
a last save and a clean stop. An expected failure to listen is one line."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from inbound.local import heap
from inbound.local.embedded import REGION, moto_server, offline_credentials
from inbound.local.lambda_pool import ContainersDidNotStart
from inbound.local.stack import LocalStack, UpOptions

log = logging.getLogger("inbound.local")

SAVE_EVERY_SECONDS = 3.0
# A send waits for the next save (ses_sending's hold); the save waits this long after the
# first waiting send, so that a burst's acknowledgements leave with one save, not one each.
GROUP_SAVE_SECONDS = 1.0
FULL_CHECK_SECONDS = 60.0  # compare even when no worker did anything


def _say(line: str) -> None:
    print(line, flush=True)


def _announce(local: LocalStack, seconds: float) -> None:
    o = local.options
    http = f"http://{o.host}:{o.http_port}"
    _say(f"inbound ready smtp={o.host}:{o.smtp_port} http={http}")
    _say(f"inbound aws endpoint={local.endpoint}")
    creds_file = o.data_dir / "credentials.json"
    fresh = "created" if local.new_agent else "restored"
    _say(f"staff console: {http}/  user {local.creds['username']} ({fresh}), password in {creds_file}")
    _say(
        f"send mail with: swaks --server {o.host}:{o.smtp_port} --to support@{o.domain}"
        f"  (or: python3 -c \"import smtplib; smtplib.SMTP('{o.host}', {o.smtp_port}).sendmail("
        f"'you@customer.test', ['support@{o.domain}'], 'Subject: help\\n\\nhello')\")"
    )
    r = local.restored
    log.info(
        "up in %.1f s; restored %d objects, %d items, %d queued messages from %s; %d of SES's events"
        " or mails sent again; %d accepted mails back from the journal; re-driven %d from incoming/,"
        " %d quarantined",
        seconds,
        r["objects"],
        r["items"],
        r["messages"],
        o.data_dir,
        local.republished,
        local.journaled,
        local.redriven,
        local.quarantined,
    )


def write_runtime(local: LocalStack) -> Path:
    """Where this run listens, for other commands on this machine (removed on exit)."""
    o = local.options
    path = o.data_dir / "stack.json"
    info = {
        "pid": os.getpid(),
        "smtp": f"{o.host}:{o.smtp_port}",
        "http": f"http://{o.host}:{o.http_port}",
        "endpoint_url": local.endpoint,
        "region": REGION,
        "user_pool_id": local.stack.outputs["INBOUND_USER_POOL_ID"],
        "user_pool_client_id": local.stack.outputs["INBOUND_USER_POOL_CLIENT_ID"],
        # The functions' settings, so that `inbound suppression`, `redrive`, ... run as they do.
        "outputs": local.stack.outputs,
    }
    path.write_text(json.dumps(info, indent=2) + "\n")
    return path


def _any_free_ports(options: UpOptions, hold: contextlib.ExitStack) -> UpOptions:
    """Port 0 (SMTP or HTTP) means any free port: the OS picks one now, and a socket keeps it
    bound until the run ends, so the banner, stack.json, the console's URL and the emulated
    SES's mail to this domain all name the real port. The socket never listens and sets
    SO_REUSEADDR, as the SMTP and HTTP listeners do: Linux lets them bind the same port
    then, and no other process can take it meanwhile."""

    def port(asked: int) -> int:
        if asked:
            return asked
        held = hold.enter_context(socket.socket())
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind((options.host, 0))
        return int(held.getsockname()[1])

    return replace(options, smtp_port=port(options.smtp_port), http_port=port(options.http_port))


def _embedded_aws(aws: contextlib.ExitStack, data_dir: Path) -> str:
    """moto's server on the port of the last run when it is free, else on any; its endpoint."""
    saved = data_dir / "aws-port"
    try:
        port = int(saved.read_text())
    except (OSError, ValueError):
        port = 0
    try:
        endpoint = aws.enter_context(moto_server(port))
    except OSError:
        if not port:
            raise
        endpoint = aws.enter_context(moto_server())
    saved.write_text(endpoint.rpartition(":")[2])
    return endpoint


def run(options: UpOptions) -> int:
    """Run until SIGINT or SIGTERM; save the state every few seconds and on the way out."""
    started = time.perf_counter()
    stop, wake = threading.Event(), threading.Event()

    def on_signal(*_: Any) -> None:
        stop.set()
        wake.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("inbound").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server: one line per AWS call
    offline_credentials()
    options.data_dir.mkdir(parents=True, exist_ok=True)
    # Loopback only, whatever --host says: --host is for SMTP and the console (moto_endpoint).
    with contextlib.ExitStack() as aws:
        try:
            options = _any_free_ports(options, aws)
        except OSError as exc:
            print(f"inbound up: cannot listen on {options.host}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        endpoint = _embedded_aws(aws, options.data_dir)
        local = LocalStack(options, endpoint, wake)
        try:
            local.start()
        except OSError as exc:
            local.stop()
            print(
                f"inbound up: cannot listen on {options.host} ports {options.smtp_port} (SMTP) and"
                f" {options.http_port} (HTTP): {exc.strerror or exc}: stop what uses them, or pass"
                " --smtp-port 0 --http-port 0 (any free ports)",
                file=sys.stderr,
            )
            return 1
        except ContainersDidNotStart as exc:
            local.stop()
            print(f"inbound up: {exc}", file=sys.stderr)
            return 1
        runtime = write_runtime(local)
        heap.settle()
        _announce(local, time.perf_counter() - started)
        try:
            checked = time.monotonic()
            while not stop.is_set():
                if wake.wait(SAVE_EVERY_SECONDS) and not stop.is_set():
                    time.sleep(GROUP_SAVE_SECONDS)  # a burst's sends leave with one save
                wake.clear()
                if stop.is_set():
                    break
                force = time.monotonic() - checked > FULL_CHECK_SECONDS
                checked = time.monotonic() if force else checked
                _save_quietly(local, force)
        finally:
            # A second Ctrl-C while shutting down stops at once.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            local.stop()
            runtime.unlink(missing_ok=True)
    _say(f"inbound stopped; state saved in {options.data_dir}")
    return 0


def _save_quietly(local: LocalStack, force: bool) -> None:
    try:
        if local.save(force):
            log.info("state saved")
    except (OSError, ClientError, BotoCoreError) as exc:
        # The stack keeps serving; the next round tries again.
        log.warning("state: save failed: %s", exc)
