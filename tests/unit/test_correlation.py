"""Threading decisions: token, references, subject tag, new."""

from dataclasses import replace

import pytest

from chalicelib.domain.correlation import ThreadFacts, decide, subject_ticket_id
from chalicelib.domain.reply_tokens import TokenClaim
from chalicelib.domain.tickets import Ticket

ALICE = "alice@customer.org"
MALLORY = "mallory@evil.test"


def ticket(tid="T-1", mailbox="support", status="open", people=(ALICE,)):
    return Ticket(
        id=tid, mailbox=mailbox, subject="Printer", requester=people[0], participants=people, status=status
    )


def test_valid_token_threads_even_from_a_new_address():
    facts = ThreadFacts(
        mailbox="support",
        sender="colleague@customer.org",
        token=TokenClaim("T-1", True),
        token_ticket=ticket(),
    )
    assert decide(facts).ticket_id == "T-1" and decide(facts).signal == "token"


def test_forged_token_opens_a_new_ticket_and_notes_the_related_one():
    facts = ThreadFacts(
        mailbox="support", sender=MALLORY, token=TokenClaim("T-1", False), token_ticket=ticket()
    )
    result = decide(facts)
    assert result.ticket_id is None and result.signal == "new" and result.related_ticket == "T-1"
    assert any("did not verify" in n for n in result.texts)


def test_references_thread_a_participant():
    result = decide(ThreadFacts(mailbox="support", sender=ALICE, authenticated=True, referenced=(ticket(),)))
    assert (result.ticket_id, result.signal) == ("T-1", "references")


def test_references_from_a_stranger_do_not_thread():
    result = decide(
        ThreadFacts(mailbox="support", sender=MALLORY, authenticated=True, referenced=(ticket(),))
    )
    assert result.ticket_id is None and result.related_ticket == "T-1"


def test_subject_tag_threads_only_a_participant():
    facts = ThreadFacts(mailbox="support", sender=ALICE, authenticated=True, subject_ticket=ticket())
    assert decide(facts).signal == "subject"
    foreign = decide(replace(facts, sender=MALLORY))
    assert foreign.signal == "new" and foreign.related_ticket == "T-1"


def test_subject_tag_of_another_mailbox_does_not_thread():
    facts = ThreadFacts(
        mailbox="billing", sender=ALICE, authenticated=True, subject_ticket=ticket(mailbox="support")
    )
    result = decide(facts)
    assert result.signal == "new"


def test_dmarc_failure_never_threads_even_with_a_valid_token():
    facts = ThreadFacts(
        mailbox="support",
        sender=ALICE,
        dmarc_failed=True,
        token=TokenClaim("T-1", True),
        token_ticket=ticket(),
        referenced=(ticket(),),
        subject_ticket=ticket(),
    )
    result = decide(facts)
    assert result.ticket_id is None and result.related_ticket == "T-1"


def test_token_beats_references_and_subject():
    facts = ThreadFacts(
        mailbox="support",
        sender=ALICE,
        token=TokenClaim("T-2", True),
        token_ticket=ticket("T-2"),
        referenced=(ticket("T-3"),),
        subject_ticket=ticket("T-4"),
    )
    assert decide(facts).ticket_id == "T-2"


def test_reply_to_a_closed_ticket_opens_a_follow_up():
    facts = ThreadFacts(
        mailbox="support", sender=ALICE, authenticated=True, referenced=(ticket(status="closed"),)
    )
    result = decide(facts)
    assert result.ticket_id is None and result.related_ticket == "T-1"
    assert any("closed" in n for n in result.texts)


def test_subject_tags_are_found_and_normalised():
    assert subject_ticket_id("Re: [T-0042] Printer on fire") == "T-42"
    assert subject_ticket_id("Re: [ t-7 ] x") == "T-7"
    assert subject_ticket_id("T-7 without brackets") is None


def test_an_ambiguous_from_is_doubted_like_a_dmarc_failure():
    """`alice@x <mallory@evil>`: two mailboxes in From; DMARC judged only one of them."""
    facts = ThreadFacts(
        mailbox="support",
        sender=ALICE,
        authenticated=True,
        from_mailboxes=2,
        referenced=(ticket(),),
        subject_ticket=ticket(),
    )
    result = decide(facts)
    assert result.ticket_id is None and result.related_ticket == "T-1"
    assert result.texts[0] == "From names 2 mailboxes: not threaded into an existing ticket"


@pytest.mark.parametrize("signal", ["references", "subject"])
def test_an_unauthenticated_participant_does_not_join_by_references_or_subject_tag(signal):
    """Alice's address on mail SES could not authenticate: anyone may have written it."""
    claim = {"referenced": (ticket(),)} if signal == "references" else {"subject_ticket": ticket()}
    facts = ThreadFacts(
        mailbox="support", sender=ALICE, trust_reason="no DMARC record for customer.org", **claim
    )
    result = decide(facts)
    assert (result.ticket_id, result.signal, result.related_ticket) == (None, "new", "T-1")
    assert "not authenticated (no DMARC record for customer.org)" in result.texts[0]
    assert decide(replace(facts, authenticated=True)).signal == signal


def test_an_unauthenticated_sender_with_a_valid_token_joins():
    """The token is a bearer secret: holding it is the proof, whatever DMARC could not say."""
    facts = ThreadFacts(mailbox="support", sender=ALICE, token=TokenClaim("T-1", True), token_ticket=ticket())
    assert decide(facts).signal == "token"


def test_a_reply_naming_a_closed_ticket_four_ways_notes_the_follow_up_once():
    """GIVEN a customer's reply to our mail on a closed ticket: its token, In-Reply-To, References
    and subject tag all name it WHEN threaded THEN one follow-up note, not four."""
    closed = ticket(status="closed")
    facts = ThreadFacts(
        mailbox="support",
        sender=ALICE,
        authenticated=True,
        token=TokenClaim("T-1", True),
        token_ticket=closed,
        referenced=(closed, closed),
        subject_ticket=closed,
    )
    result = decide(facts)
    assert (result.ticket_id, result.related_ticket) == (None, "T-1")
    assert result.texts == ("T-1 is closed: opened a follow-up ticket",)


def test_a_stranger_naming_one_ticket_in_three_references_gets_one_reason():
    """Our acknowledgement's id in In-Reply-To and References, and the customer's own first
    mail too: staff read the reason once, not three times."""
    claimed = ticket()
    facts = ThreadFacts(
        mailbox="support", sender=ALICE, trust_reason="no DMARC", referenced=(claimed, claimed, claimed)
    )
    result = decide(facts)
    assert (result.ticket_id, result.related_ticket) == (None, "T-1")
    assert result.texts == ("references T-1, but the sender is not authenticated (no DMARC)",)


def _codes(facts: ThreadFacts) -> list[tuple[str, dict[str, str]]]:
    return [(n.code, dict(n.values)) for n in decide(facts).notes]


def test_each_threading_note_carries_its_code_and_the_values_its_sentence_names():
    """The console says a note by its code in the agent's language (i18n.js notes): every
    note decide() writes has one, with the ticket, sender or trust reason it names."""
    stranger = ThreadFacts(mailbox="support", sender=MALLORY, authenticated=True)
    spoofed = ThreadFacts(mailbox="support", sender=ALICE, trust_reason="no DMARC")
    other = ticket(mailbox="sales")
    assert _codes(replace(stranger, token=TokenClaim("T-1", False), token_ticket=ticket())) == [
        ("token_invalid", {"ticket": "T-1"})
    ]
    assert _codes(replace(stranger, token=TokenClaim("T-1", True), token_ticket=other)) == [
        ("token_other_mailbox", {"ticket": "T-1"})
    ]
    assert _codes(replace(stranger, referenced=(ticket(status="closed"),))) == [("closed", {"ticket": "T-1"})]
    assert _codes(replace(spoofed, referenced=(ticket(),))) == [
        ("references_unauthenticated", {"ticket": "T-1", "trust": "no DMARC"})
    ]
    assert _codes(replace(stranger, referenced=(ticket(),))) == [
        ("references_not_participant", {"ticket": "T-1", "sender": MALLORY})
    ]
    assert _codes(replace(spoofed, subject_ticket=ticket())) == [
        ("subject_unauthenticated", {"ticket": "T-1", "trust": "no DMARC"})
    ]
    assert _codes(replace(stranger, subject_ticket=ticket())) == [
        ("subject_not_participant", {"ticket": "T-1", "sender": MALLORY})
    ]
    assert _codes(replace(stranger, subject_ticket=other)) == [("subject_other_mailbox", {"ticket": "T-1"})]
    assert _codes(replace(stranger, dmarc_failed=True)) == [("dmarc_failed", {})]
    assert _codes(replace(stranger, from_mailboxes=2)) == [("from_mailboxes", {"mailboxes": "2"})]
