"""The outbound side's services on in-memory fakes: no AWS, no moto."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.services.feedback import FeedbackService
from chalicelib.services.suppression import SuppressionService
from chalicelib.settings import Settings
from tests.fakes.sender import FakeSender
from tests.fakes.suppression_table import FakeSuppressionTable


@dataclass
class MailOut:
    """Feedback and the suppression list's management over one fake suppression table."""

    settings: Settings
    table: FakeSuppressionTable
    sender: FakeSender
    feedback: FeedbackService
    suppression: SuppressionService


def mail_out(settings: Settings | None = None) -> MailOut:
    settings = settings or Settings()
    table, sender = FakeSuppressionTable(), FakeSender(verified={settings.domain})
    return MailOut(
        settings,
        table,
        sender,
        FeedbackService(settings, table.feedback_ledger, table.send_ledger),
        SuppressionService(settings, table.suppression_list, table.counters, sender.account_suppressed),
    )
