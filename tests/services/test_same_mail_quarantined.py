"""The same quarantined mail twice is one quarantine entry, and a duplicate for the other copy.

SES delivers at least once and a sender's server retries after a lost `250`, so one mail that
is refused (unparseable, spam, virus, a header block too large, no sender) can arrive under two
SES message ids: before, it ended as two entries in quarantine/<reason>/. Now the second copy
is a recorded duplicate of the first, and its raw is archived. A copy processed twice under
the same SES id (an SQS redelivery) stays one entry; a first run that stopped between its
writes is finished by its retry, never turned into a duplicate of itself; and a mail that
failed every attempt is re-driven into a ticket, not refused as a copy of its quarantine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain import message_claims
from chalicelib.domain.mail import Verdict, Verdicts
from chalicelib.services.ingest import IngestService
from chalicelib.services.notifications import decode
from chalicelib.services.redrive import RedriveService
from tests.fakes.redrive import FakeQuarantine
from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail, received_notification, without_message_id

# No header block: the first line is not a header (what a broken relay or a probe sends).
UNPARSEABLE = b"this is not a mail at all\r\nnor is this: a header block\r\n"
# SES prepends its trace and verdict headers to every delivery, with its own id and time.
SES_TRACE = (
    "Return-Path: <alice@customer.org>\r\n"
    "Received: from mx.customer.org (mx.customer.org [192.0.2.7]) by inbound-smtp.eu-west-1.amazonaws.com"
    " with SMTP id {ses_id} for support@example.com; Tue, 08 Dec 2026 03:0{n}:00 +0000 (UTC)\r\n"
    "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
    "Received-SPF: pass (spfCheck: domain of customer.org designates 192.0.2.7 as permitted sender)\r\n"
    "Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=alice@customer.org;"
    " dkim=pass header.i=@customer.org; dmarc=pass header.from=customer.org;\r\n"
    "X-SES-RECEIPT: AEFBQUFBQUFBQUFH{n}\r\n"
)


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def _as_ses_stored_it(raw: bytes, ses_id: str, n: int) -> bytes:
    return SES_TRACE.format(ses_id=ses_id, n=n).encode() + raw


def test_an_unparseable_mail_delivered_twice_is_one_quarantine_entry_and_a_duplicate(stack):
    """GIVEN a mail with no header block WHEN it arrives under two SES ids THEN one entry in
    quarantine/unparseable/, the other copy a duplicate naming the first delivery, archived:
    nothing left in incoming/."""
    first = deliver(stack, UNPARSEABLE, message_id="sesfirst0001")
    again = deliver(stack, UNPARSEABLE, message_id="sesagain0002")

    assert (first.outcome, again.outcome) == ("quarantined", "duplicate")
    assert "sesfirst0001" in again.reason and "unparseable" in again.reason
    assert stack.keys("quarantine/") == ["quarantine/unparseable/sesfirst0001"]
    assert stack.keys("incoming/") == [] and len(stack.keys("archive/")) == 1
    assert stack.tickets.get_delivery("sesagain0002")["outcome"] == "duplicate"


def test_a_spam_mail_delivered_twice_is_one_quarantine_entry_despite_the_trace_ses_adds(stack):
    """GIVEN a mail SES finds spam WHEN it arrives twice, each copy with the trace headers SES
    prepends for its delivery (its id, its time) THEN one entry in quarantine/spam/."""
    spam = make_mail(subject="WIN NOW", message_id="<spam-1@spammer.test>")
    outcomes = [
        deliver(stack, _as_ses_stored_it(spam, ses_id, n), message_id=ses_id, spam="FAIL").outcome
        for n, ses_id in enumerate(("sesspam000001", "sesspam000002"))
    ]
    assert outcomes == ["quarantined", "duplicate"]
    assert stack.keys("quarantine/") == ["quarantine/spam/sesspam000001"]


def test_the_same_delivery_processed_twice_is_one_entry(stack):
    """GIVEN an SQS redelivery of one notification WHEN it is processed again THEN the
    quarantine entry stays one and the answer names the first outcome."""
    stack.store.put_incoming("sesredelivered01", UNPARSEABLE)
    note = received_notification("sesredelivered01", stack.settings.mail_bucket, ("support@example.com",))
    outcomes = [stack.ingest.ingest(decode(note, stack.settings.mail_bucket)) for _ in range(2)]

    assert [o.outcome for o in outcomes] == ["quarantined", "duplicate"]
    assert stack.keys("quarantine/") == ["quarantine/unparseable/sesredelivered01"]


def test_two_different_refused_mails_are_two_entries(stack):
    """Another mail is never a copy: other bytes, another envelope sender, another recipient,
    another reason."""
    deliver(stack, UNPARSEABLE)
    assert deliver(stack, UNPARSEABLE.replace(b"at all", b"at all, again")).outcome == "quarantined"
    assert deliver(stack, UNPARSEABLE, recipients=("billing@example.com",)).outcome == "quarantined"
    spam = make_mail(subject="Cheap", message_id="<spam-2@spammer.test>")
    assert deliver(stack, _as_ses_stored_it(spam, "s1", 1), spam="FAIL").outcome == "quarantined"
    by_bob = _as_ses_stored_it(spam, "s2", 2).replace(b"<alice@", b"<bob@", 1)
    assert deliver(stack, by_bob, spam="FAIL").outcome == "quarantined"
    assert deliver(stack, spam, virus="FAIL").outcome == "quarantined"
    assert len(stack.keys("quarantine/unparseable/")) == 3 and len(stack.keys("quarantine/")) == 6


def test_empty_mail_is_never_taken_for_a_copy(stack):
    """An empty delivery has nothing that tells it from another: each is quarantined."""
    assert [deliver(stack, b"").outcome for _ in range(2)] == ["quarantined", "quarantined"]
    assert len(stack.keys("quarantine/unparseable/")) == 2


def test_a_clean_copy_of_a_mail_quarantined_as_spam_is_filed(stack):
    """The verdicts are the delivery's: a copy SES passes is not the spam copy's duplicate."""
    raw = make_mail(subject="Invoice", message_id="<inv-1@customer.org>")
    assert deliver(stack, raw, spam="FAIL").outcome == "quarantined"
    assert deliver(stack, raw).outcome == "created"


def test_a_run_that_stopped_after_its_claim_is_quarantined_by_its_retry(stack):
    """GIVEN a delivery that claimed its mail and stopped before recording its outcome (a kill)
    WHEN it runs again THEN it is quarantined (its own claim), and a later copy a duplicate."""
    raw = UNPARSEABLE
    as_notified = Verdicts(spf=Verdict.PASS, dkim=Verdict.PASS, dmarc=Verdict.PASS)  # deliver's defaults
    claim = message_claims.quarantine_claim("unparseable", raw, ("support@example.com",), as_notified)
    assert claim is not None
    assert stack.tickets.claim_unfiled(claim, "seskilled0001") == "seskilled0001"

    assert deliver(stack, raw, message_id="seskilled0001").outcome == "quarantined"
    assert deliver(stack, raw).outcome == "duplicate"
    assert list(stack.tickets.unfiled_claims) == [claim], "the retry passed the claim it had made"
    assert stack.keys("quarantine/") == ["quarantine/unparseable/seskilled0001"]


def test_a_run_that_stopped_after_its_record_is_moved_to_quarantine_by_its_retry(stack):
    """GIVEN a delivery whose outcome is recorded but whose raw is still in incoming/ (the move
    failed) WHEN it runs again THEN the raw is moved to quarantine: the entry is never lost."""

    class MoveFailsOnce:
        def __init__(self, store):
            self.store, self.failed = store, False

        def __getattr__(self, name):
            return getattr(self.store, name)

        def quarantine(self, *args):
            if not self.failed:
                self.failed = True
                raise ConnectionError("S3 timed out")
            return self.store.quarantine(*args)

    flaky = IngestService(stack.settings, replace(stack.ingest.ports, store=MoveFailsOnce(stack.store)))
    stack.store.put_incoming("sesmovefails01", UNPARSEABLE)
    note = received_notification("sesmovefails01", stack.settings.mail_bucket, ("support@example.com",))
    with pytest.raises(ConnectionError):
        flaky.ingest(decode(note, stack.settings.mail_bucket))
    assert stack.keys("incoming/") == ["incoming/sesmovefails01"]

    flaky.ingest(decode(note, stack.settings.mail_bucket))
    assert stack.keys("incoming/") == []
    assert stack.keys("quarantine/") == ["quarantine/unparseable/sesmovefails01"]


class CommitFails:
    """The ticket store with its commit failing like a bug would, until it is fixed."""

    def __init__(self, tickets):
        self.tickets = tickets

    def __getattr__(self, name):
        return getattr(self.tickets, name)

    def commit_new(self, *args, **kwargs):
        raise RuntimeError("commit bug")


def _ingest(ingest: IngestService, ses_id: str, raw: bytes):
    stack_bucket = ingest.settings.mail_bucket
    ingest.ports.store.put_incoming(ses_id, raw)
    note = received_notification(ses_id, stack_bucket, ("support@example.com",))
    return ingest.ingest(decode(note, stack_bucket))


def test_a_failed_mail_without_message_id_is_redriven_into_a_ticket_and_its_copy_is_a_duplicate(stack):
    """GIVEN a mail with no Message-ID whose commit failed every attempt after it claimed the
    mail (quarantine/failed/), and a copy of it that arrived meanwhile WHEN the operator
    re-drives it after the fix THEN it becomes the one ticket: not refused as a duplicate of
    its own claim or of its copy, and the copy is a duplicate of it."""
    broken = IngestService(stack.settings, replace(stack.ingest.ports, tickets=CommitFails(stack.tickets)))
    raw = without_message_id(make_mail(subject="Refund, no Message-ID"))
    with pytest.raises(RuntimeError):
        _ingest(broken, "sesalwaysfails1", raw)
    broken.quarantine_failed(stack.settings.mail_bucket, "incoming/sesalwaysfails1", "sesalwaysfails1", "bug")
    assert stack.keys("quarantine/") == ["quarantine/failed/sesalwaysfails1"]
    copy = _ingest(stack.ingest, "sescopymeanwhile", raw)
    assert copy.outcome == "duplicate" and "sesalwaysfails1" in copy.reason

    report = RedriveService(stack.ingest, FakeQuarantine(stack.store), []).redrive(queues=False)
    [redriven] = report.mail
    assert redriven.result == "redriven" and redriven.outcome.outcome == "created"
    assert stack.keys("quarantine/") == [] and stack.keys("incoming/") == []
    assert len(stack.tickets.tickets) == 1
    assert deliver(stack, raw).outcome == "duplicate"
