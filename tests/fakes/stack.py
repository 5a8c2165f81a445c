"""Ingest and the staff desk wired to in-memory ports, with no AWS at all: what `deliver`
(tests/support/deliver.py) needs of a stack (`store`, `settings`, `ingest`), the desk and
search."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.adapters.mail import body_render
from chalicelib.adapters.mail.bounce_detector import detect_bounce
from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.timestamps import iso_millis
from chalicelib.services.desk_input import assignee_name
from chalicelib.services.desk_ports import DeskPorts
from chalicelib.services.ingest import IngestService
from chalicelib.services.ingest_ports import IngestPorts
from chalicelib.services.message_builder import Renderers
from chalicelib.services.suspended_mail import SuspendedMail
from chalicelib.services.ticket_desk import TicketDesk
from chalicelib.services.ticket_search import TicketFinder
from chalicelib.settings import Settings
from tests.fakes.desk import FakeEdits, FakeEvents, FakeLinks, FakeQueue
from tests.fakes.mail_store import FakeMailStore
from tests.fakes.search import FakeSearch
from tests.fakes.staff import FakeAgents
from tests.fakes.tickets import FakeTickets

SECRET = b"fake-reply-token-secret-32-bytes"
ANN_AND_BOB = ("ann@example.com", "bob@example.com")


@dataclass
class FakeStack:
    """Ingest and the desk on fakes. The mail readers and the HTML sanitiser are the real
    ones: pure code, no AWS. `clock` is when the desk acts; `agents` the staff directory
    (Ann and Bob have signed in)."""

    settings: Settings = field(default_factory=Settings)
    tickets: FakeTickets = field(default_factory=FakeTickets)
    events: FakeEvents = field(default_factory=FakeEvents)
    clock: datetime = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    agents: FakeAgents = field(default_factory=lambda: FakeAgents(directory=dict.fromkeys(ANN_AND_BOB, "")))
    store: FakeMailStore = field(init=False)
    ingest: IngestService = field(init=False)
    suspended: SuspendedMail = field(init=False)
    desk: TicketDesk = field(init=False)
    search: TicketFinder = field(init=False)

    def __post_init__(self) -> None:
        self.store = FakeMailStore(bucket=self.settings.mail_bucket)
        ports = IngestPorts(
            store=self.store,
            tickets=self.tickets,
            deliveries=self.tickets,
            suspended=self.tickets,
            read_mail=read_mail,
            detect_bounce=detect_bounce,
            renderers=Renderers(body_render.sanitise_html, body_render.latest_reply, body_render.html_text),
            reply_secrets=lambda: (SECRET,),
        )
        self.ingest = IngestService(self.settings, ports)
        self.suspended = SuspendedMail(ports, self.ingest.filing)
        desk = DeskPorts(
            queue=FakeQueue(self.tickets),
            edits=FakeEdits(self.tickets),
            tickets=self.tickets,
            bodies=self.store,
            links=FakeLinks(),
            events=self.events,
            sanitise_html=body_render.sanitise_html,
            now=lambda: iso_millis(self.clock),
            is_agent=self.agents.is_agent,
            sla=self.tickets,
        )
        self.desk = TicketDesk(self.settings, desk)
        self.search = TicketFinder(FakeSearch(self.tickets), self.tickets, self.desk.mailbox, assignee_name)

    def keys(self, prefix: str) -> list[str]:
        return self.store.keys(prefix)
