"""What makes two quarantined deliveries the same mail (domain/message_claims.quarantine_claim):
the bytes the sender sent, not the trace headers SES prepends to each delivery."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.mail import Verdict, Verdicts
from chalicelib.domain.message_claims import quarantine_claim
from inbound.local.ses_received import Envelope, ses_headers

RAW = b"From: alice@customer.org\r\nSubject: WIN\r\n\r\nBuy now.\r\n"
TO = ("support@example.com",)


def _stored(raw: bytes, ses_id: str, envelope: Envelope) -> bytes:
    """As the local stack (and SES) stores a delivery: its trace and verdict headers on top."""
    return ses_headers(envelope, ses_id, raw) + raw


def test_two_deliveries_of_one_mail_claim_alike_whatever_their_trace_headers_say():
    first = Envelope("alice@customer.org", TO, "mx1", "192.0.2.1", datetime(2026, 12, 8, 3, 0, tzinfo=UTC))
    again = Envelope("alice@customer.org", TO, "mx2", "192.0.2.2", datetime(2026, 12, 8, 3, 9, tzinfo=UTC))
    a = quarantine_claim("spam", _stored(RAW, "ses-a", first), TO)
    b = quarantine_claim("spam", _stored(RAW, "ses-b", again), TO)
    assert a is not None and a == b


def test_another_envelope_sender_body_reason_or_recipient_is_another_claim():
    envelope = Envelope("alice@customer.org", TO)
    claim = quarantine_claim("spam", _stored(RAW, "ses-a", envelope), TO)
    others = [
        quarantine_claim("spam", _stored(RAW, "ses-b", Envelope("bob@customer.org", TO)), TO),
        quarantine_claim("spam", _stored(RAW.replace(b"now", b"today"), "ses-c", envelope), TO),
        quarantine_claim("virus", _stored(RAW, "ses-d", envelope), TO),
        quarantine_claim("spam", _stored(RAW, "ses-e", envelope), ("billing@example.com",)),
    ]
    assert claim is not None and None not in others
    assert len({claim, *others}) == 5


def test_a_delivery_with_nothing_but_ses_headers_claims_nothing():
    assert quarantine_claim("unparseable", _stored(b"", "ses-a", Envelope("a@b.example", TO)), TO) is None
    assert quarantine_claim("unparseable", b" \r\n", TO) is None


def test_a_delivery_that_authenticates_otherwise_is_another_claim():
    """The same bytes, envelope and recipients, replayed from a server the sender's domain does
    not name (SPF and DMARC fail where the real delivery passed): not the same delivery again
    (tests/security/test_quarantine_replay.py)."""
    stored = _stored(RAW, "ses-a", Envelope("alice@customer.org", TO))
    real = Verdicts(spam=Verdict.FAIL, spf=Verdict.PASS, dmarc=Verdict.PASS)
    replay = Verdicts(spam=Verdict.FAIL, spf=Verdict.FAIL, dmarc=Verdict.FAIL)
    assert quarantine_claim("spam", stored, TO, real) == quarantine_claim("spam", stored, TO, real)
    assert quarantine_claim("spam", stored, TO, real) != quarantine_claim("spam", stored, TO, replay)
    assert quarantine_claim("spam", stored, TO, real) != quarantine_claim(
        "spam",
        stored,
        TO,
        Verdicts(spam=Verdict.FAIL, spf=Verdict.PASS, dkim=Verdict.FAIL, dmarc=Verdict.PASS),
    )
