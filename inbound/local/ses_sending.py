"""SES sending, emulated around moto's server for the local stack.

moto 5.2.5 accepts SendRawEmail but publishes no configuration-set events, has no
sandbox, quota or account-level suppression list, and its mailbox simulator
publishes a placeholder that raw SNS-to-SQS delivery cannot carry. This module
closes those gaps in the same process as moto's threaded server:

- every accepted send lands in an outbox folder a user can read (`inbound outbox`;
  its files and index are `ses_outbox`'s);
- SES's events (see `ses_events`) go to the configuration set's SNS topic a moment
  later, from a worker thread, as SES publishes them asynchronously; they, and mail SES
  hands back to the stack's SMTP listener, are on disk until done (`ses_publisher`);
- the sandbox (verified recipients and the simulator only, 200 per 24 h, 1 per
  second) and the account-level suppression list are enforced when switched on;
- with `hold` on (`inbound up`), an accepted send waits in memory and leaves (outbox,
  events, simulator replies) only once `release()` is called, after the state that
  produced it is saved: SES accepts a send and delivers it later, and no mail may reach
  a customer carrying a ticket number a crash could hand out again (see journal.py);
- mail to the stack's own domain is delivered to its SMTP listener, as SES's send reaches
  the domain's MX (SES receiving) in an account (`inbound verify`'s round trip).

sesv2's GetAccount and GetSuppressedDestination, answered from the emulator, are in
`ses_account_api`.
"""

from __future__ import annotations

import contextlib
import email
import email.utils
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbound.local import crash_point, ses_outbox, ses_tracking
from inbound.local.journal import write_durably
from inbound.local.ses_events import (
    SentMail,
    bounced_or_complained,
    events_for,
    out_of_office_reply,
    simulator_kind,
)
from inbound.local.ses_publisher import DELIVER, EVENTS, MAIL, SesPublisher

log = logging.getLogger("inbound.local_ses")

SANDBOX_DAILY_QUOTA = 200
SANDBOX_RATE_PER_SECOND = 1.0
RATE_WINDOW = 5.0  # seconds: measure_rate's window

_request = threading.local()
_emulators: dict[tuple[str, str], "SesEmulator"] = {}
_installed = False


@dataclass
class SesEmulator:
    endpoint_url: str
    data_dir: Path
    account: str
    region: str
    configuration_set: str
    feedback_topic_arn: str
    sandbox: bool = False
    # Further sets that publish the same events to the same topic (the announcements').
    other_configuration_sets: tuple[str, ...] = ()
    smtp_address: tuple[str, int] | None = None  # where ooto@ replies are mailed back
    hold: bool = False  # keep accepted sends until release() (see the module docstring)
    on_held: Callable[[], None] | None = None  # told when a send starts waiting
    _held: list[tuple[str, str, list[str], str, str]] = field(default_factory=list)
    receiving_domains: tuple[str, ...] = ()  # mail to these goes to smtp_address too
    _sends: deque[float] = field(default_factory=deque)
    _recent: dict[str, deque[float]] = field(default_factory=dict)  # set -> sends in the last RATE_WINDOW
    _peaks: dict[str, int] = field(default_factory=dict)
    # Publishing events is a unit of work a snapshot waits for (`inbound up`: quiet.busy).
    busy: Callable[[], contextlib.AbstractContextManager[Any]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.publisher = SesPublisher(
            self.data_dir / "ses-pending",
            self.region,
            self.endpoint_url,
            self.feedback_topic_arn,
            self.smtp_address,
            self.busy,
        )

    # -- state on disk -----------------------------------------------------------
    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def _suppression_file(self) -> Path:
        return self.data_dir / "ses-account-suppression.json"

    def account_suppressed(self) -> frozenset[str]:
        return frozenset(self.account_suppression_reasons())

    def account_suppression_reasons(self) -> dict[str, str]:
        """Address -> BOUNCE or COMPLAINT (a file of earlier runs holds addresses only)."""
        if not self._suppression_file.exists():
            return {}
        found = json.loads(self._suppression_file.read_text())
        return dict(found) if isinstance(found, dict) else dict.fromkeys(found, "BOUNCE")

    def _add_account_suppressed(self, reasons: dict[str, str]) -> None:
        if reasons:
            current = {**self.account_suppression_reasons(), **reasons}
            self._suppression_file.write_text(json.dumps(dict(sorted(current.items()))))

    # -- the hook moto calls -------------------------------------------------------
    def check_sandbox(self, backend: Any, destinations: list[str]) -> None:
        """Refuse as SES does in the sandbox; raises moto's own SES errors."""
        if not self.sandbox:
            return
        from moto.ses.exceptions import MessageRejectedError, SesError

        class Throttling(SesError):
            code = "Throttling"

        unverified = [
            d for d in destinations if simulator_kind(d) is None and not backend._is_verified_address(d)
        ]
        if unverified:
            raise MessageRejectedError(
                "Email address is not verified. The following identities failed the check in region "
                f"{self.region.upper()}: {', '.join(unverified)}"
            )
        now = time.monotonic()
        with self._lock:
            while self._sends and now - self._sends[0] > 86400:
                self._sends.popleft()
            if len(self._sends) >= SANDBOX_DAILY_QUOTA:
                raise MessageRejectedError("Daily message quota exceeded.")
            if self._sends and now - self._sends[-1] < 1 / SANDBOX_RATE_PER_SECOND:
                raise Throttling("Maximum sending rate exceeded.")
            self._sends.append(now)

    def measure_rate(self, config_set: str) -> None:
        """Keep the most sends any RATE_WINDOW seconds saw per configuration set, in the data
        dir's ses-send-rate.json: what a test compares with GetAccount's MaxSendRate. Over a
        few seconds, not one: a send's trip to SES varies by some milliseconds, which moves
        one send across a one-second window's edge now and then."""
        now = time.monotonic()
        with self._lock:
            recent = self._recent.setdefault(config_set, deque())
            recent.append(now)
            while now - recent[0] >= RATE_WINDOW:
                recent.popleft()
            path = self.data_dir / "ses-send-rate.json"
            if not self._peaks and path.exists():  # an earlier run's
                # Cut short by a kill: a measurement, never a reason to refuse a send.
                with contextlib.suppress(ValueError):
                    self._peaks.update(json.loads(path.read_text()))
            if len(recent) > self._peaks.get(config_set, 0):
                self._peaks[config_set] = len(recent)
                write_durably(path, json.dumps(self._peaks).encode(), sync_dir=False)

    def accepted(
        self, message_id: str, source: str, destinations: list[str], raw: str, config_set: str
    ) -> None:
        if not self.hold:
            self.release([(message_id, source, destinations, raw, config_set)])
            return
        with self._lock:
            self._held.append((message_id, source, destinations, raw, config_set))
        if self.on_held is not None:
            self.on_held()

    def held(self) -> list[tuple[str, str, list[str], str, str]]:
        """The sends waiting now (taken while the state about to be saved is still)."""
        with self._lock:
            waiting, self._held = self._held, []
        return waiting

    def hold_again(self, sends: list[tuple[str, str, list[str], str, str]]) -> None:
        """Put back sends taken for a save that failed."""
        with self._lock:
            self._held[:0] = sends

    def release(self, sends: list[tuple[str, str, list[str], str, str]]) -> None:
        """Let sends taken by `held()` leave, once the state that produced them is saved:
        what SES does after each is on disk (one directory fsync for all), then the outbox
        lists them (one index and directory fsync for all)."""
        listed = [self._deliver(*send) for send in sends]
        self.publisher.sync()
        if listed:
            crash_point.reached("ses-files")
        for list_in_outbox in listed:
            list_in_outbox()
        if listed:
            ses_outbox.sync(self.outbox)

    def _deliver(
        self, message_id: str, source: str, destinations: list[str], raw: str, config_set: str
    ) -> Callable[[], None]:
        """Puts what SES does after the send on disk; returns what lists it in the outbox."""
        tracked = (
            ses_tracking.tracked_types(self.account, self.region, config_set) if config_set else frozenset()
        )
        if tracked:
            raw = ses_tracking.rewrite(self, message_id, raw, tracked)
        message = email.message_from_string(raw)
        unique = tuple(dict.fromkeys(d for d in destinations))
        sent = SentMail(message_id, source, unique, message, config_set or "", self.account, self.region)
        publishing = (self.configuration_set, *self.other_configuration_sets)
        events = events_for(sent, self.account_suppressed()) if config_set in publishing else []
        # Everything SES does after accepting the send is on disk before the outbox lists it:
        # a start delivers again only a send the outbox lacks (stack.py), so a kill -9 at any
        # point loses none of it, and a send delivered again publishes the events it had.
        if events:
            self.publisher.put(f"{message_id}.events", EVENTS, events, 0.2, sync_dir=False)
        reply = out_of_office_reply(sent)
        if reply is not None:
            back = email.message_from_bytes(reply)
            to = [a for _, a in email.utils.getaddresses([str(back.get("To", ""))]) if a]
            self.publisher.put_mail(f"{message_id}.reply", MAIL, str(back["From"]), to, reply, sync_dir=False)
        ours = [d for d in unique if d.rpartition("@")[2].lower() in self.receiving_domains]
        if ours:
            self.publisher.put_mail(
                f"{message_id}.deliver", DELIVER, source, ours, raw.encode(), sync_dir=False
            )
        self._add_account_suppressed(bounced_or_complained(events))
        kinds = [e["eventType"] for e in events]
        return lambda: ses_outbox.write(
            self.outbox, message_id, source, unique, raw, kinds, config_set, durable=False
        )

    # -- publishing, off the request thread (ses_publisher) ---------------------------------
    def publish_later(self, event: dict[str, Any]) -> None:
        """One more event to the feedback topic (an Open or Click of ses_tracking)."""
        self.publisher.put(f"{self.publisher.new_name()}.events", EVENTS, [event], 0.2)

    def start(self) -> None:
        self.publisher.start()

    def stop(self) -> None:
        self.publisher.stop()


def install(emulator: SesEmulator) -> None:
    """Hook the emulator into moto's SES in this process (moto's server must run here)."""
    global _installed
    from inbound.local import ses_identities

    _emulators[(emulator.account, emulator.region)] = emulator
    ses_identities.restore(emulator)  # the address identities of earlier runs
    emulator.start()
    if _installed:
        return
    from inbound.local.ses_account_api import serve_account_api

    serve_account_api()
    from moto.ses.models import SESBackend
    from moto.ses.responses import EmailResponse

    original_response = EmailResponse.send_raw_email
    original_backend = SESBackend.send_raw_email

    def response_send_raw_email(self: Any) -> Any:
        # The backend method is not told the configuration set; remember it for it.
        _request.config_set = self._get_param("ConfigurationSetName") or ""
        try:
            return original_response(self)
        finally:
            _request.config_set = ""

    def backend_send_raw_email(self: Any, source: str, destinations: list[str], raw_data: str) -> Any:
        found = _emulators.get((self.account_id, self.region_name))
        if found is not None:
            found.check_sandbox(self, list(destinations))
        message = original_backend(self, source, destinations, raw_data)
        if found is not None:
            config_set = getattr(_request, "config_set", "")
            found.measure_rate(config_set)
            found.accepted(message.id, message.source or "", list(message.destinations), raw_data, config_set)
        return message

    EmailResponse.send_raw_email = response_send_raw_email  # type: ignore[method-assign]
    SESBackend.send_raw_email = backend_send_raw_email  # type: ignore[method-assign]
    _installed = True
