"""Sending: the fake and SesSender (on moto's SES) keep the same promises."""

from __future__ import annotations

import pytest

from chalicelib.errors import SendRefused

RAW = b"From: news@example.com\r\nTo: a@x.org\r\nSubject: hi\r\n\r\nhello\r\n"


def test_mail_from_a_verified_identity_is_taken_and_given_an_id(sender):
    first = sender.send_raw(RAW, "news@example.com", ["a@x.org"])
    second = sender.send_raw(
        RAW.replace(b"news@example.com", b"owner@example.org"), "owner@example.org", ["b@x.org"]
    )

    assert first and second and first != second


def test_mail_from_an_unverified_identity_is_refused(sender):
    with pytest.raises(SendRefused) as refused:
        sender.send_raw(RAW.replace(b"example.com", b"elsewhere.net"), "news@elsewhere.net", ["a@x.org"])
    assert refused.value.reason == "ses_rejected"


def test_an_address_is_verified_by_itself_or_its_domain(sender):
    assert sender.is_verified("anyone@example.com")
    assert sender.is_verified("owner@example.org")
    assert not sender.is_verified("other@example.org")
    assert sender.is_verified("bounce@simulator.amazonses.com")
