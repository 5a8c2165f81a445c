"""`inbound up`: the whole system on this machine (running it in the foreground: `foreground`).

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

import dataclasses
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inbound.local import crash_point, moto_changes, ses_outbox, sqs_snapshot, staff_pool
from inbound.local.chalice_host import CHALICE_STAGE, app_environment, chalice_config, http_server, import_app
from inbound.local.embedded import REGION, stack_at
from inbound.local.event_sources import Poller, Scheduler, SqsSource, app_sources
from inbound.local.first_agent import ensure_agent
from inbound.local.journal import Journal
from inbound.local.lambda_pool import LambdaPool, default_size
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
    # The domain's mailboxes (addresses), the first the default; empty: provision's
    # (support@ and billing@): the receipt rule's recipients and the functions' INBOUND_MAILBOXES.
    mailboxes: tuple[str, ...] = ()


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
        mailboxes = list(options.mailboxes) or None
        self.stack = stack = stack_at(self.endpoint, stage=STAGE, domain=options.domain, mailboxes=mailboxes)
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
            busy=self.quiet.busy,
        )
        install_ses_emulator(self.ses)
        # What SES had accepted and not yet published, or not in the snapshot: again.
        self.republished = self.ses.publisher.recover(state.published)
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
        self.journal = Journal(options.data_dir / "accepted")
        receiver = SesReceiver(clients, self.journal)
        self.journaled = restore_journal(self.journal, state.covered, receiver)
        # Before the pollers start: a re-driven notification takes the receive count its
        # last one had (sqs_snapshot) before anything receives it.
        most = max((q.max_receive_count for q in queues if q.name == "ingest"), default=0)
        self.redriven, self.quarantined = redrive_incoming(stack, receiver, state.ingest_receives, most)
        sqs_snapshot.keep_ingest_receives(account, REGION, f"inbound-{STAGE}-", state.ingest_receives)
        for worker in self.workers:
            worker.start()
        log.info("lambda: %s", ", ".join(f"{q.name} <- {q.queue_url.rsplit('/', 1)[1]}" for q in queues))
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
            published = self.ses.publisher.published() if self.ses is not None else []
            try:
                saved = self.state.save(accepted, [list(send) for send in sends], published)
            except BaseException:
                if self.ses is not None:
                    self.ses.hold_again(sends)  # they leave with the next save that works
                raise
            if saved and sends:
                crash_point.reached("saved-sends")
            if saved and published:
                crash_point.reached("saved-published")
        if self.journal is not None:
            self.journal.retire(accepted)
        if self.ses is not None:
            self.ses.publisher.retire(published)
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
