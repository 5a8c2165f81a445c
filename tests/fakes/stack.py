"""The ingest services wired to in-memory ports: what `deliver` (tests/support/deliver.py)
needs of a stack (`store`, `settings`, `intake`), with no AWS at all."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.adapters.mail import body_render
from chalicelib.adapters.mail.bounce_detector import detect_bounce
from chalicelib.adapters.mail.reader import read_mail
from chalicelib.services.intake import IntakeService
from chalicelib.services.intake_parts import IntakeParts
from chalicelib.services.message_builder import Renderers
from chalicelib.services.suspended_mail import SuspendedMail
from chalicelib.settings import Settings
from tests.fakes.mail_store import MemoryMailStore
from tests.fakes.tickets import MemoryTickets

SECRET = b"fake-reply-token-secret-32-bytes"


@dataclass
class FakeStack:
    """Ingest on fakes. The mail readers are the real ones: pure code, no AWS."""

    settings: Settings = field(default_factory=Settings)
    tickets: MemoryTickets = field(default_factory=MemoryTickets)
    store: MemoryMailStore = field(init=False)
    intake: IntakeService = field(init=False)
    suspended: SuspendedMail = field(init=False)

    def __post_init__(self) -> None:
        self.store = MemoryMailStore(bucket=self.settings.mail_bucket)
        parts = IntakeParts(
            store=self.store,
            tickets=self.tickets,
            deliveries=self.tickets,
            suspended=self.tickets,
            read_mail=read_mail,
            detect_bounce=detect_bounce,
            renderers=Renderers(body_render.sanitise_html, body_render.latest_reply),
            reply_secrets=lambda: (SECRET,),
        )
        self.intake = IntakeService(self.settings, parts)
        self.suspended = SuspendedMail(parts, self.intake.filing)

    def keys(self, prefix: str) -> list[str]:
        return self.store.keys(prefix)
