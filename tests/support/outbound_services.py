"""The outbound side's services on in-memory fakes: no AWS, no moto.

`mail_out()` builds feedback, the suppression list's management, the outbound guard and
announcements over one fake suppression table and fake SES, beside ingest and the desk
on fakes (tests/fakes/stack.py) for the tickets they answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.mail import body_render
from chalicelib.domain import announcements as ann
from chalicelib.domain.tickets import StoredAttachment
from chalicelib.domain.warmup import WarmupPlan
from chalicelib.errors import PublicUrlMissing
from chalicelib.services import announcement_sending as sending
from chalicelib.services.announcements import AnnouncementPorts, AnnouncementService
from chalicelib.services.assignee_alerts import AssigneeAlerts
from chalicelib.services.feedback import FeedbackService
from chalicelib.services.ingest import IngestService
from chalicelib.services.outbound import OutboundService
from chalicelib.services.outbound_ports import OutboundPorts
from chalicelib.services.suppression import SuppressionService
from chalicelib.settings import Settings
from tests.fakes.alert_preferences import FakeAlertPreferences
from tests.fakes.announcements import FakeAnnouncementStore
from tests.fakes.desk import FakeQueue
from tests.fakes.reply_claims import FakeReplyClaims
from tests.fakes.sender import FakeSender
from tests.fakes.stack import SECRET, FakeStack
from tests.fakes.suppression_table import FakeSuppressionTable


class VirtualClock:
    """A monotonic clock whose sleep moves time on instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class MailOut:
    """Every outbound service over one fake suppression table and fake SES. `sender` is the
    transactional configuration set's SES, `announcement_ses` the announcements'; `queued`
    holds the announcement batches enqueued (with their delay)."""

    settings: Settings
    desk: FakeStack
    table: FakeSuppressionTable
    sender: FakeSender
    announcement_ses: FakeSender
    claims: FakeReplyClaims
    outbound: OutboundService
    feedback: FeedbackService
    suppression: SuppressionService
    announcement_store: FakeAnnouncementStore
    announcements: AnnouncementService
    announcement_sender: sending.AnnouncementSender
    pacing: VirtualClock
    queued: list[dict[str, Any]] = field(default_factory=list)
    quota: ann.SendQuota | None = ann.SendQuota(max_24_hour=50_000, max_rate=4.0, sent_last_24_hours=0)
    account_rates: tuple[float | None, float | None] = (None, None)
    # A standard dedicated pool warming up (GetDedicatedIps); None: announcements use no such pool.
    warmup: WarmupPlan | None = None
    # The agents' choice of a mail when their ticket's customer replies (services/assignee_alerts.py).
    alert_preferences: FakeAlertPreferences = field(default_factory=FakeAlertPreferences)
    # A deployed stage that does not know its URL (adapters/ssm_public_url.py): False.
    knows_its_url: bool = True

    @property
    def ingest(self) -> IngestService:
        """Ingest on the desk's fakes, acknowledging and applying mailed reports through these."""
        return self.desk.ingest


def mail_out(**changes: Any) -> MailOut:
    """The services with `changes` to the default Settings (sandbox off, new tickets acknowledged,
    unless changed), all on
    one clock, `desk.clock`: now when built (SES's events in tests are stamped now)."""
    defaults = {
        "ses_sandbox": "false",
        "public_url": "https://support.example.com/api",
        "acknowledge_new_tickets": True,
    }
    settings = replace(Settings(), **{**defaults, **changes})
    desk = FakeStack(settings=settings, clock=datetime.now(UTC))
    table = FakeSuppressionTable()
    sender = FakeSender(verified={settings.domain})
    announcement_ses = FakeSender(verified={settings.domain})
    claims = FakeReplyClaims()
    built: dict[str, MailOut] = {}

    def rates() -> tuple[float | None, float | None]:
        return built["it"].account_rates

    def public_url() -> str:
        if not built["it"].knows_its_url:
            raise PublicUrlMissing("this stage has no public URL")
        return settings.public_url.rstrip("/")

    outbound = OutboundService(
        settings,
        OutboundPorts(
            sender=sender,
            suppression_list=table.suppression_list,
            auto_replies=table.auto_replies,
            acknowledgements=table.acknowledgements,
            send_ledger=table.send_ledger,
            counters=table.counters,
            tickets=desk.tickets,
            store=desk.store,
            presign=_presign,
            reply_secrets=lambda: (SECRET,),
            public_url=public_url,
            reply_claims=claims,
            clock=lambda: desk.clock,
            account_rates=rates,
            reopener=desk.desk,
        ),
    )
    store = FakeAnnouncementStore()
    queued: list[dict[str, Any]] = []
    announcements = AnnouncementService(
        settings,
        AnnouncementPorts(
            store=store,
            queue=FakeQueue(desk.tickets),
            sanitise_html=body_render.sanitise_html,
            reply_secrets=lambda: (SECRET,),
            public_url=public_url,
            send_test=announcement_ses.send_raw,
            check=lambda address: outbound.check(address, automatic=False),
            enqueue=lambda body, delay: queued.append({**body, "delay": delay}),
            clock=lambda: desk.clock,
        ),
    )
    pacing = VirtualClock()
    allowance = sending.warmup_allowance(lambda: built["it"].warmup, table.counters, lambda: desk.clock)
    announcer = sending.AnnouncementSender(
        sending.SendingPorts(
            store=store,
            check=lambda address, state: outbound.check(address, automatic=False, state=state),
            guard_state=lambda: sending.announcements_state(table.counters, settings, desk.clock, rates()),
            build=announcements.build,
            send_raw=announcement_ses.send_raw,
            quota=lambda: built["it"].quota,
            enqueue=lambda body, delay: queued.append({**body, "delay": delay}),
            from_address=announcements.from_address,
            warmup_left=lambda: None if built["it"].warmup is None else allowance(),
            standing=desk.agents.standing,
            clock=lambda: desk.clock,
            monotonic=pacing,
            sleep=pacing.sleep,
        ),
        sending.SEND_CONCURRENCY,
        settings.announcement_quota_reserve,
    )
    feedback = FeedbackService(settings, table.feedback_ledger, table.send_ledger, lambda: desk.clock)
    alert_preferences = FakeAlertPreferences()
    alerts = AssigneeAlerts(settings, outbound.ports, alert_preferences, desk.agents.is_agent)
    desk.ingest = IngestService(
        settings,
        replace(
            desk.ingest.ports,
            acknowledge=outbound.acknowledge if settings.acknowledge_new_tickets else None,
            suppress_bounced=feedback.suppress_from_inbound_bounce,
            alert_assignee=alerts.customer_replied,
        ),
    )
    built["it"] = MailOut(
        settings=settings,
        desk=desk,
        table=table,
        sender=sender,
        announcement_ses=announcement_ses,
        claims=claims,
        outbound=outbound,
        feedback=feedback,
        suppression=SuppressionService(
            settings, table.suppression_list, table.counters, sender.account_suppressed, lambda: desk.clock
        ),
        announcement_store=store,
        announcements=announcements,
        announcement_sender=announcer,
        pacing=pacing,
        queued=queued,
        alert_preferences=alert_preferences,
    )
    return built["it"]


def _presign(attachment: StoredAttachment) -> str:
    return f"https://mail.example.com/{attachment.key}?expires=short"
