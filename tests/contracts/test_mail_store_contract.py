"""The in-memory mail bucket of tests/fakes and the S3 adapter (moto) keep the same keys
and answer the same way: DESIGN.md's storage contract, held on both."""

from __future__ import annotations

import io

import pytest

from chalicelib.adapters.s3_mail_store import S3MailStore
from chalicelib.errors import RawMailMissing
from chalicelib.services.ports.tickets import MailStore
from tests.fakes.mail_store import FakeMailStore


@pytest.fixture(params=["fake", "s3"])
def store(request) -> MailStore:
    if request.param == "fake":
        return FakeMailStore(bucket="inbound-test-mail")
    stack = request.getfixturevalue("stack")
    return S3MailStore(stack.client("s3"), stack.settings.mail_bucket)


def test_raw_mail_moves_from_incoming_to_the_archive_once_and_a_second_move_is_no_error(store):
    key = store.put_incoming("ses-1", b"raw mail")

    assert [k for k, _ in store.list_incoming()] == ["incoming/ses-1"]
    assert store.get_raw_within(store.bucket, key, 100) == (8, b"raw mail")
    assert store.get_raw_within(store.bucket, key, 4) == (8, None)
    archived = store.archive(store.bucket, key, "ses-1", "2026-12-07T10:00:00.000Z")
    assert (
        archived == store.archive_key("ses-1", "2026-12-07T10:00:00.000Z") == "archive/2026/12/07/ses-1.eml"
    )
    assert store.archive(store.bucket, key, "ses-1", "2026-12-07T10:00:00.000Z") == archived
    assert store.get_raw(store.bucket, archived) == b"raw mail"
    assert store.list_incoming() == []
    with pytest.raises(RawMailMissing):
        store.get_raw(store.bucket, key)


def test_quarantine_keeps_the_reason_in_the_key_and_a_missing_raw_is_missing(store):
    key = store.put_incoming("ses-2", b"spam")

    assert store.quarantine(store.bucket, key, "ses-2", "spam", "SES says so") == "quarantine/spam/ses-2"
    assert store.get_raw(store.bucket, "quarantine/spam/ses-2") == b"spam"
    with pytest.raises(RawMailMissing):
        store.archive(store.bucket, "incoming/never", "never", "2026-12-07T10:00:00.000Z")


def test_bodies_and_attachments_are_read_back_as_written(store):
    store.put_body("bodies/T-1001/ses-3.json", {"text": "Grüße", "html": "<p>Grüße</p>"})
    store.put_attachment("attachments/T-1001/ses-3/1-a.pdf", io.BytesIO(b"%PDF"), "application/pdf", "a.pdf")

    assert store.get_body("bodies/T-1001/ses-3.json") == {"text": "Grüße", "html": "<p>Grüße</p>"}
    assert store.get_raw(store.bucket, "attachments/T-1001/ses-3/1-a.pdf") == b"%PDF"
