"""The send ledger, the automatic-reply limits and the acknowledgement claims: the fake and
the DynamoDB adapters keep the same promises (see tests/contracts/conftest.py)."""

from __future__ import annotations

from chalicelib.domain.send_policy import AckState
from chalicelib.services.ports.outbound import AckClaim

NOW = 1_796_000_000
AT = "2026-12-01T10:00:00.000Z"
DAY = "2026-12-01"


def test_a_sent_message_is_known_by_each_of_its_ids_for_thirty_days(suppression_table):
    ledger = suppression_table.send_ledger
    ids = ["<ours@example.com>", "<ses-1@email.amazonses.com>", "<" + "x" * 1_200 + ">"]
    ledger.record_sent(["a@x.org", "b@x.org", "a@x.org"], ids, AT, NOW)

    found = ledger.sent_messages(["<ses-1@email.amazonses.com>", "<unknown@x>", ids[2], ""], NOW)

    assert found == {"<ses-1@email.amazonses.com>": frozenset({"a@x.org", "b@x.org"})}
    assert ledger.sent_messages([ids[0]], NOW + 30 * 86_400) == {}  # expired
    assert [d.counts for d in suppression_table.counters.day_counts(DAY, DAY)] == [{"sent": 2}]


def test_automatic_replies_stop_at_the_recipients_limit(suppression_table):
    limits = suppression_table.auto_replies

    taken = [limits.take_auto_reply("a@x.org", DAY, 2, NOW) for _ in range(3)]

    assert taken == ["", "", "recipient"]
    assert limits.auto_replies("a@x.org", DAY) == 2
    assert limits.auto_replies("a@x.org", "2026-12-02") == 0


def test_a_full_domain_refuses_and_counts_nothing_for_the_recipient(suppression_table):
    limits = suppression_table.auto_replies
    assert limits.take_auto_reply("a@x.org", DAY, 5, NOW, domain_limit=1) == ""

    refused = limits.take_auto_reply("b@x.org", DAY, 5, NOW, domain_limit=1)

    assert refused == "domain"
    assert limits.auto_replies("b@x.org", DAY) == 0  # both counters move, or neither
    assert limits.take_auto_reply("b@x.org", DAY, 5, NOW) == ""  # no domain limit: authenticated


def test_a_ticket_is_acknowledged_once_unless_the_claim_is_released(suppression_table):
    claims = suppression_table.acknowledgements

    assert claims.claim_ack("T-1", AT, NOW) is None
    assert claims.claim_ack("T-1", AT, NOW) == AckClaim(AckState.CLAIMED)
    claims.finish_ack("T-1", AckState.REFUSED, "rate_limited")
    earlier = claims.claim_ack("T-1", AT, NOW)
    assert earlier == AckClaim(AckState.REFUSED, "rate_limited") and type(earlier.state) is AckState
    assert claims.claim_ack("T-2", AT, NOW) is None
    claims.release_ack("T-2")
    assert claims.claim_ack("T-2", AT, NOW) is None


def test_a_reply_after_a_message_is_claimed_by_the_first_agent_until_released(reply_claims):
    assert reply_claims.claim("T-1", "m-1", "ann", NOW) == "ann"
    assert reply_claims.claim("T-1", "m-1", "bob", NOW) == "ann"
    assert reply_claims.claim("T-1", "m-1", "ann", NOW) == "ann"  # her follow-up
    assert reply_claims.claim("T-1", "m-2", "bob", NOW) == "bob"
    reply_claims.release("T-1", "m-1", "bob")  # not his: nothing changes
    assert reply_claims.claim("T-1", "m-1", "bob", NOW) == "ann"
    reply_claims.release("T-1", "m-1", "ann")
    assert reply_claims.claim("T-1", "m-1", "bob", NOW) == "bob"
