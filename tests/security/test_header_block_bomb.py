"""Attack: a mail whose header block is megabytes of To addresses or of small header fields.

SES receives 40 MB and bounds no header. Parsing headers cost ~40 times their size in
memory and 2 s per MB of To addresses (40 MB: 1.6 GB and over a minute of CPU), beyond the
ingest Lambda's 1,024 MB and 120 s, so the delivery failed its batch, the other customers'
mails in it with it, on every retry. Now a header block over 1 MB is quarantined as
oversize before parsing, with the reason: nothing lost, nothing parsed.

GIVEN the in-memory stack WHEN such a mail arrives THEN it is quarantined with its reason, its
raw mail kept under quarantine/oversize/, and no ticket exists; a customer's mail after it is
filed as usual, and a large but ordinary header block (200 KB of Received lines) is filed."""

from __future__ import annotations

import pytest

from chalicelib.domain.mail import MAX_HEADER_BLOCK_BYTES, header_block_overflow
from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

HEAD = b"From: mallory@evil.test\r\nSubject: hi\r\nMessage-ID: <bomb@evil.test>\r\n"
BOMBS = {
    "To addresses": HEAD + b"To: " + b",".join(b"u%d@x.test" % i for i in range(100_000)) + b"\r\n\r\nhi\r\n",
    "small fields": HEAD + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000)) + b"\r\nhi\r\n",
    "folded lines": HEAD + b"X-Long: v" + b"\r\n v" * 400_000 + b"\r\n\r\nhi\r\n",
}


@pytest.mark.parametrize("shape", BOMBS)
def test_a_header_block_over_the_limit_is_quarantined_before_parsing(shape):
    stack = FakeStack()
    raw = BOMBS[shape]
    assert len(raw) > MAX_HEADER_BLOCK_BYTES

    outcome = deliver(stack, raw)

    assert outcome.outcome == "quarantined" and outcome.ticket is None
    assert outcome.reason == f"oversize: a header block of {len(raw) - 6} bytes exceeds the limit of 1000000"
    assert stack.keys("quarantine/oversize/") == [f"quarantine/oversize/{outcome.ses_message_id}"]
    assert stack.keys("incoming/") == []
    customer = deliver(stack, make_mail())
    assert customer.outcome == "created"
    assert list(stack.tickets.tickets) == [customer.ticket]


def test_a_large_ordinary_header_block_is_filed():
    received = "".join(
        f"Received: from relay{i}.customer.org by mx; Mon, 7 Dec 2026\r\n" for i in range(3_000)
    )
    raw = received.encode() + make_mail()

    outcome = deliver(FakeStack(), raw)

    assert outcome.outcome == "created"


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        (b"Subject: x\n\nbody", 11),
        (b"Subject: x\r\n\r\nbody", 12),
        (b"Subject: x\r\rbody\r", 11),  # old-Mac line endings
        (b"Subject: x\n folded\nnot a header line\nX: y\n", 19),  # where the stdlib stops too
        (b"From someone Mon Dec 7\nSubject: x\n\nbody", 34),  # an mbox From line
    ],
)
def test_the_header_block_ends_where_the_stdlib_parser_ends_it(raw, size):
    assert header_block_overflow(raw, limit=size) == ""
    assert (
        header_block_overflow(raw, limit=size - 1)
        == f"a header block of {size} bytes exceeds the limit of {size - 1}"
    )
