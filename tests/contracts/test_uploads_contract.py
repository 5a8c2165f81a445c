"""The reply-upload store twice: the fake and the S3 adapter on moto (in process).

What the services count on: a form names the planned key and type, what is posted with it
reads back with its type and size, a key never posted reads as None, and a read stops
after max_bytes + 1 bytes while still telling the whole size. (Whether S3 enforces the
policy is the local stack's test: moto does not, see inbound/local/s3_post_policy.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from chalicelib.domain.reply_uploads import plan
from tests.fakes.uploads import FakeUploads

BUCKET = "contract-mail"


@pytest.fixture(params=["fake", "s3"])
def uploads(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Callable[..., None]]]:
    if request.param == "fake":
        fake = FakeUploads()
        yield fake, lambda form, payload: fake.post(form, payload)
        return
    from chalicelib.adapters.s3_uploads import S3Uploads

    session = request.getfixturevalue("aws")
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)

    def post(form: Any, payload: bytes) -> None:
        answer = requests.post(form.url, data=dict(form.fields), files={"file": ("x", payload)}, timeout=10)
        assert answer.status_code in (200, 201, 204), answer.text

    yield S3Uploads(s3, BUCKET), post


def test_what_is_posted_with_a_form_reads_back_with_its_type_and_size(uploads):
    store, post = uploads
    planned = plan("T-1001", "refund.pdf", "application/pdf", 9, 1000)
    form = store.upload_form(planned, 300)
    assert form.fields["key"] == planned.key and form.fields["Content-Type"] == "application/pdf"

    post(form, b"%PDF-1.4\n")

    got = store.read_upload(planned.key, 1000)
    assert (got.key, got.content_type, got.size, got.payload) == (
        planned.key,
        "application/pdf",
        9,
        b"%PDF-1.4\n",
    )
    assert store.read_upload(planned.prefix + "other.pdf", 1000) is None


def test_a_read_stops_after_the_limit_and_tells_the_whole_size(uploads):
    store, post = uploads
    planned = plan("T-1001", "big.pdf", "application/pdf", 5000, 10_000)
    post(store.upload_form(planned, 300), b"%PDF" + bytes(4996))

    got = store.read_upload(planned.key, 100)

    assert got.size == 5000 and len(got.payload) == 101
