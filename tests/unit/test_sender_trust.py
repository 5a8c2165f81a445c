"""The sender-trust policy (chalicelib/domain/sender_trust.py, SECURITY.md) on SES's verdicts."""

from __future__ import annotations

import pytest

from chalicelib.domain.mail import Address, ParsedMail, ReceivedMail, Verdicts
from chalicelib.domain.sender_trust import aligned, assess

ALICE = (Address("alice@customer.example", "Alice"),)


def received(dmarc: str, spf: str = "GRAY", dkim: str = "GRAY", envelope_from: str = "") -> ReceivedMail:
    return ReceivedMail(
        ses_message_id="m1",
        bucket="b",
        key="incoming/m1",
        verdicts=Verdicts(spam="PASS", virus="PASS", spf=spf, dkim=dkim, dmarc=dmarc),
        from_notification=True,
        envelope_from=envelope_from,
    )


def mail(*headers: tuple[str, str], from_: tuple[Address, ...] = ALICE) -> ParsedMail:
    return ParsedMail(from_=from_, headers=headers)


def ses_results(text: str) -> tuple[str, str]:
    return ("authentication-results", f"amazonses.com; {text}")


def test_dmarc_pass_authenticates():
    trust = assess(mail(), received("PASS"))
    assert trust.authenticated and "DMARC pass" in trust.reason


@pytest.mark.parametrize("dmarc", ["FAIL", "PROCESSING_FAILED", "NONE"])
def test_dmarc_fail_or_unchecked_is_not_authenticated_even_with_aligned_spf(dmarc):
    trust = assess(mail(), received(dmarc, spf="PASS", envelope_from="alice@customer.example"))
    assert not trust.authenticated and "customer.example" in trust.reason


def test_no_dmarc_record_and_spf_dkim_failing_is_not_authenticated():
    trust = assess(mail(), received("GRAY", spf="FAIL", dkim="FAIL", envelope_from="alice@customer.example"))
    assert not trust.authenticated
    assert trust.reason == "no DMARC record for customer.example and no SPF or DKIM pass aligned with it"


def test_no_dmarc_record_and_spf_passing_for_the_from_domain_authenticates():
    trust = assess(mail(), received("GRAY", spf="PASS", envelope_from="bounces@mail.customer.example"))
    assert trust.authenticated and "SPF pass for mail.customer.example" in trust.reason


def test_spf_pass_for_an_unrelated_envelope_domain_is_not_enough():
    """SPF passing for the attacker's own MAIL FROM proves nothing about From."""
    trust = assess(mail(), received("GRAY", spf="PASS", envelope_from="mallory@evil.test"))
    assert not trust.authenticated


def test_aligned_dkim_is_read_from_the_topmost_ses_results_only():
    """GIVEN an aligned DKIM pass only in a header the sender wrote below SES's own
    THEN it does not count; in SES's own (topmost) header it does."""
    forged = mail(
        ses_results("spf=fail; dkim=pass header.i=@evil.test; dmarc=none header.from=customer.example"),
        ses_results("dkim=pass header.i=@customer.example"),
    )
    assert not assess(forged, received("GRAY", spf="FAIL", dkim="PASS")).authenticated
    genuine = mail(ses_results("spf=fail; dkim=pass header.d=customer.example; dmarc=none"))
    trust = assess(genuine, received("GRAY", spf="FAIL", dkim="PASS"))
    assert trust.authenticated and "DKIM pass for customer.example" in trust.reason


def test_a_results_header_from_another_server_on_top_is_not_trusted():
    mail_ = mail(("authentication-results", "evil.test; dkim=pass header.d=customer.example"))
    assert not assess(mail_, received("GRAY", dkim="PASS")).authenticated


def test_spf_domain_falls_back_to_the_topmost_return_path_ses_wrote():
    mail_ = mail(("return-path", "<alice@customer.example>"), ("return-path", "<x@evil.test>"))
    assert assess(mail_, received("GRAY", spf="PASS")).authenticated


@pytest.mark.parametrize("from_", [(), (ALICE[0], Address("mallory@evil.test"))])
def test_a_from_with_other_than_one_mailbox_is_never_authenticated(from_):
    trust = assess(mail(from_=from_), received("PASS"))
    assert not trust.authenticated and ("mailboxes" in trust.reason or "no From" in trust.reason)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("customer.example", "customer.example", True),
        ("bounce.customer.example", "customer.example", True),
        ("CUSTOMER.example.", "customer.example", True),
        ("evil.example", "customer.example", False),
        ("evilcustomer.example", "customer.example", False),
        ("victim.github.io", "evil.github.io", False),
        ("shop.co.uk", "co.uk", False),
        ("example", "sub.example", False),
        ("", "customer.example", False),
    ],
)
def test_alignment_is_relaxed_by_ancestry_never_through_a_shared_suffix(a, b, expected):
    assert aligned(a, b) is expected
