"""`inbound up`: the whole system on this machine, in the foreground.

moto's server plays AWS on loopback, provisioned by the same `provision()` as the cloud.
Around it: the SMTP listener that plays SES receiving (`smtp`), the Lambda event
sources that drive the Chalice handlers (`event_sources`), Chalice's local HTTP server for
the staff API and console (`chalice_host`), and the snapshot that carries the data across restarts
(`state`). Nothing here talks to real AWS: every client gets the local endpoint and
credentials that real AWS refuses. The endpoint keeps its port across restarts when it is
free (the data dir's `aws-port`): links the emulated SES mailed point at it (an address's
verification, an announcement's tracked image and links), as SES's stay valid.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from inbound.local import moto_changes, ses_outbox, staff_pool
from inbound.local.chalice_host import CHALICE_STAGE, app_environment, chalice_config, http_server, import_app
from inbound.local.embedded import REGION, moto_server, offline_credentials, stack_at
from inbound.local.event_sources import Poller, Scheduler, SqsSource, app_sources
from inbound.local.first_agent import ensure_agent
from inbound.local.journal import Journal
from inbound.local.lambda_pool import ContainersDidNotStart, LambdaPool, default_size
from inbound.local.quiet import Quiet
from inbound.local.recovery import quarantine_failed, redrive_incoming, restore_journal
from inbound.local.ses_sending import SesEmulator
from inbound.local.ses_sending import install as install_ses_emulator
from inbound.local.smtp import SesReceiver, start_smtp
from inbound.local.state import LocalState
from inbound.stage.dns_check import publish_local_zone
from inbound.stage.documents import upload_cors

log = logging.getLogger("inbound.local")

STAGE = "local"
SAVE_EVERY_SECONDS = 3.0
# A send waits for the next save (ses_sending's hold); the save waits this long after the
# first waiting send, so that a burst's acknowledgements leave with one save, not one each.
GROUP_SAVE_SECONDS = 1.0
FULL_CHECK_SECONDS = 60.0  # compare even when no worker did anything


@dataclass(frozen=True)
class UpOptions:
    smtp_port: int = 2525
    http_port: int = 8000
    data_dir: Path = Path(".inbound")
    domain: str = "example.com"
    host: str = "127.0.0.1"
    # Emulate the SES sandbox for sends (verified recipients and the simulator only).
    sandbox: bool = False
    # Worker processes (Lambda containers) running the SQS sources' handlers; None: one
    # per CPU; 0: the handlers run in this process's poller threads.
    workers: int | None = None


class LocalStack:
    """Everything `inbound up` runs; `start()` brings it up, `stop()` takes it down and saves."""

    def __init__(self, options: UpOptions, endpoint: str, wake: threading.Event | None = None) -> None:
        self.options, self.endpoint = options, endpoint
        self.quiet = Quiet()
        self.workers: list[Any] = []
        self.smtp: Any = None
        self.http: Any = None
        self.state: LocalState | None = None  # set once restored: only then may it be saved
        self.journal: Journal | None = None
        self.ses: SesEmulator | None = None
        self.wake = wake or threading.Event()  # set when a send waits for the next save
        self._saved_after = -1
        self.staff: staff_pool.PoolKeeper | None = None
        self.containers: LambdaPool | None = None

    def start(self) -> None:
        options = self.options
        self.stack = stack = stack_at(self.endpoint, stage=STAGE, domain=options.domain)
        names = ("s3", "dynamodb", "ssm", "ses", "sns", "sqs", "cognito-idp", "sts")
        clients = {name: stack.client(name) for name in names}
        account = clients["sts"].get_caller_identity()["Account"]
        moto_changes.install()  # before the restore: a snapshot re-reads only what changed
        state = LocalState(options.data_dir, clients, STAGE, account, REGION)
        self.restored = state.restore()
        self.state = state
        pool = stack.outputs["INBOUND_USER_POOL_ID"]
        self.creds, self.new_agent = ensure_agent(
            clients["cognito-idp"], pool, options.data_dir, options.domain
        )
        staff_pool.restore(clients["cognito-idp"], pool, options.data_dir)
        self.staff = staff_pool.PoolKeeper(options.data_dir, account, REGION, pool)
        publish_local_zone(clients["ses"], options.domain, REGION, options.data_dir)  # for `inbound verify`
        # Before any worker runs: every send (a re-driven mail's acknowledgement too) and
        # every sesv2 look-up must meet the emulator, not bare moto; and every send waits
        # for the save that holds what produced it (hold).
        self.ses = SesEmulator(
            endpoint_url=self.endpoint,
            data_dir=options.data_dir,
            account=account,
            region=REGION,
            configuration_set=stack.outputs["INBOUND_CONFIGURATION_SET"],
            other_configuration_sets=(stack.outputs["INBOUND_ANNOUNCEMENT_CONFIGURATION_SET"],),
            feedback_topic_arn=stack.outputs["INBOUND_FEEDBACK_TOPIC_ARN"],
            sandbox=options.sandbox,
            smtp_address=(options.host, options.smtp_port),
            hold=True,
            on_held=self.wake.set,
            receiving_domains=(options.domain,),
        )
        install_ses_emulator(self.ses)
        # Sends the last snapshot let go that a crash kept from the outbox.
        self.ses.release(
            [tuple(send) for send in state.unsent if not ses_outbox.lists(self.ses.outbox, send[0])]
        )
        http_url = f"http://{options.host}:{options.http_port}"
        # The console posts reply attachments to the bucket (browser_uploads): its origin is
        # this stack's console, under either loopback name a browser may have opened it by.
        origins = {http_url, http_url.replace("//127.0.0.1:", "//localhost:")}
        clients["s3"].put_bucket_cors(
            Bucket=stack.settings.mail_bucket, CORSConfiguration=upload_cors(*sorted(origins))
        )
        environment = app_environment(stack, self.endpoint, http_url)
        containers = default_size() if options.workers is None else options.workers
        if containers > 0:  # they import the app while this process does the same
            self.containers = LambdaPool(containers, environment, self.endpoint)
            self.containers.start()
        app_module = import_app(environment)
        config = chalice_config()

        def timeout_of(name: str) -> int:
            return int(config.scope(CHALICE_STAGE, name).lambda_timeout or 60)

        hooks = {"ingest": quarantine_failed(stack)}
        queues, schedules = app_sources(app_module.app, clients["sqs"], timeout_of, hooks)
        if self.containers is not None:
            self.containers.ready()
            self.containers.scale_up_to(sum(q.pollers for q in queues))
            queues = [self._in_containers(app_module.app, q) for q in queues]
        # Lambda polls an SQS source with several concurrent pollers (five to start with)
        # and runs their batches in parallel; two keep a burst from queueing behind one.
        self.workers = [
            Poller(q, clients["sqs"], REGION, self.quiet.busy) for q in queues for _ in range(q.pollers)
        ]
        self.workers.append(Scheduler(schedules, REGION, account, self.quiet.busy))
        for worker in self.workers:
            worker.start()
        log.info("lambda: %s", ", ".join(f"{q.name} <- {q.queue_url.rsplit('/', 1)[1]}" for q in queues))
        self.journal = Journal(options.data_dir / "accepted")
        receiver = SesReceiver(clients, self.journal)
        self.journaled = restore_journal(self.journal, state.covered, receiver)
        self.redriven, self.quarantined = redrive_incoming(stack, receiver)
        self.smtp = start_smtp(receiver, self.quiet.busy, options.host, options.smtp_port)
        self.http = http_server(app_module, config, options.host, options.http_port, self.quiet.busy)

    def _in_containers(self, chalice_app: Any, source: SqsSource) -> SqsSource:
        """The source with its handler run in a Lambda container instead of this process."""
        assert self.containers is not None
        found = (c.handler_string for c in chalice_app.event_sources if c.name == source.name)
        handler = self.containers.handler(next(found), source.name, source.timeout_seconds)
        return dataclasses.replace(source, handler=handler)

    def save(self, force: bool = False) -> bool:
        """Snapshot when work was done since the last one (`force`: compare anyway, for
        writes that bypass the workers, e.g. a client talking to the endpoint directly);
        then let the sends made before it leave, and drop the journal entries it holds."""
        if self.state is None:
            return False
        with self.quiet.still():
            # Every time: the pool changes with no worker's help too (a sign-in's new password,
            # `inbound staff` on the endpoint); a compare of a few users is cheap.
            staff_saved = self.staff.save() if self.staff is not None else False
            sends = self.ses.held() if self.ses is not None else []
            if not (force or sends) and self.quiet.done == self._saved_after:
                return staff_saved
            self._saved_after = self.quiet.done
            accepted = self.journal.ids() if self.journal is not None else []
            try:
                saved = self.state.save(accepted, [list(send) for send in sends])
            except BaseException:
                if self.ses is not None:
                    self.ses.hold_again(sends)  # they leave with the next save that works
                raise
        if self.journal is not None:
            self.journal.retire(accepted)
        if self.ses is not None:
            self.ses.release(sends)
        return saved

    def stop(self) -> None:
        """Stop taking work, let running work finish, then save."""
        if self.smtp is not None:
            self.smtp.stop()
        if self.http is not None:
            self.http.server.shutdown()
            self.http.server.server_close()
        if self.ses is not None:
            self.ses.stop()
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join(timeout=150)
        if self.containers is not None:
            self.containers.close()
        self.save(force=True)


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
        "up in %.1f s; restored %d objects, %d items from %s; %d accepted mails back from the"
        " journal; re-driven %d from incoming/, %d quarantined",
        seconds,
        r["objects"],
        r["items"],
        o.data_dir,
        local.journaled,
        local.redriven,
        local.quarantined,
    )


def _write_runtime(local: LocalStack) -> Path:
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
            print(f"inbound up: cannot listen: {exc.strerror or exc}", file=sys.stderr)
            return 1
        except ContainersDidNotStart as exc:
            local.stop()
            print(f"inbound up: {exc}", file=sys.stderr)
            return 1
        runtime = _write_runtime(local)
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
