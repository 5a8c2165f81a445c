"""Every fake of the suppression table's ports, sharing state as the adapters share the table."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fakes.send_records import FakeAcknowledgements, FakeAutoReplies, FakeSendLedger
from tests.fakes.suppression import FakeFeedbackLedger, FakeReputationCounters, FakeSuppressionList


@dataclass
class FakeSuppressionTable:
    suppression_list: FakeSuppressionList = field(default_factory=FakeSuppressionList)
    counters: FakeReputationCounters = field(default_factory=FakeReputationCounters)
    auto_replies: FakeAutoReplies = field(default_factory=FakeAutoReplies)
    acknowledgements: FakeAcknowledgements = field(default_factory=FakeAcknowledgements)

    def __post_init__(self) -> None:
        self.feedback_ledger = FakeFeedbackLedger(self.suppression_list, self.counters)
        self.send_ledger = FakeSendLedger(self.counters)
