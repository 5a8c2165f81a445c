"""Attack (or accident): an admin sends an announcement to every customer and is then
disabled, or made agent, by another admin who sees what it says. Its batches were already
queued: they kept sending in the name of someone no longer allowed to, until the last
recipient had it.

Answer: each batch asks the staff directory, when it runs, whether the admin who sent the
announcement still may (services/announcement_sending.py). If not, it sends nothing, the
announcement is stopped with the reason, and its recipients stay pending; another admin who
sends it again resumes it, and nobody gets it twice.
"""

from __future__ import annotations

import pytest

from chalicelib.domain import announcements as ann
from tests.support.outbound_services import mail_out

ANN, BOB = "ann@example.com", "bob@example.com"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda agents: agents.set_disabled(ANN, True), "stopped: author disabled"),
        (lambda agents: agents.set_role(ANN, "agent"), "stopped: author no longer admin"),
    ],
    ids=["disabled", "made agent"],
)
def test_queued_batches_stop_when_their_author_loses_the_right_and_another_admin_resumes(change, reason):
    svc = mail_out()
    addresses = [f"r{n:03}@example.net" for n in range(120)]  # three batches of at most 50
    draft = svc.announcements.draft("support", "News", "Hello", [ann.Recipient(a) for a in addresses], by=ANN)
    announcement = svc.announcements.create(draft)
    assert svc.announcements.start(announcement.id, by=ANN) == 120
    first, second, third = svc.queued
    assert len(svc.announcement_sender.send_batch(first).sent) == 50

    change(svc.desk.agents)
    stopped = [svc.announcement_sender.send_batch(b) for b in (second, third)]

    assert [s.stopped for s in stopped] == [reason, reason] and not any(s.sent for s in stopped)
    summary, _ = svc.announcements.status(announcement.id)
    assert (summary.state, summary.stopped_reason, summary.counts[ann.RecipientState.PENDING]) == (
        "stopped",
        reason,
        70,
    )
    assert summary.as_dict()["stopped_reason"] == reason  # what the report shows
    assert len(svc.announcement_ses.recipients()) == 50

    del svc.queued[:]
    assert svc.announcements.start(announcement.id, by=BOB) == 70  # another admin sends it again
    resumed = [svc.announcement_sender.send_batch(b) for b in [second, third, *svc.queued]]
    assert sum(len(r.sent) for r in resumed) == 70
    assert sorted(svc.announcement_ses.recipients()) == addresses, "each once"
    summary, _ = svc.announcements.status(announcement.id)
    assert (summary.state, summary.started_by, summary.stopped_reason) == ("done", BOB, "")
