"""Addresses a person types with a non-ASCII domain or local part, on fakes.

SES v1 SendRawEmail takes a recipient domain only as IDNA A-labels and no UTF-8 local part
(no SMTPUTF8), and its bounce events name the A-label form. So where an address enters
(forward, participants, an invitation, an announcement's test copy) the domain becomes
punycode and a non-ASCII local part is refused in one clear line; the suppression list
keys both spellings the same, so a bounce for `xn--...` stops the address typed in Unicode.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.mail import canonical_address, parse_addresses
from chalicelib.errors import InvalidRequest, Suppressed
from chalicelib.services.ticket_forwarding import TicketForwarding
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out
from tests.support.ses_feedback import bounce_note

AGENT = "ann@example.com"
TYPED = "Jurgen@Bücher.example"  # an ASCII local part, a Unicode domain
ASCII = "jurgen@xn--bcher-kva.example"


def setup():
    svc = mail_out(acknowledge_new_tickets=False)
    ticket = deliver_via(svc, make_mail(subject="Export crashes")).ticket
    return svc, TicketForwarding(svc.settings, svc.outbound, svc.desk.store), ticket


def test_a_forward_to_a_unicode_domain_goes_to_its_punycode_and_a_bounce_of_that_stops_the_next():
    svc, forwarding, ticket = setup()

    forwarding.forward(ticket, AGENT, TYPED, "Please look")

    assert [s.destinations for s in svc.sender.sent] == [(ASCII,)]
    svc.feedback.record(bounce_note(ASCII))  # SES names the address as it sent to it
    assert svc.suppression.check(TYPED)["suppressed"] is True
    with pytest.raises(Suppressed):
        forwarding.forward(ticket, AGENT, TYPED, "Again")
    assert len(svc.sender.sent) == 1


@pytest.mark.parametrize("typed", ["jösé@example.org", "ＪＯＳＥ@example.org"])
def test_a_local_part_ses_cannot_send_to_is_refused_in_one_line_and_nothing_is_sent(typed):
    svc, forwarding, ticket = setup()
    with pytest.raises(InvalidRequest, match="non-ASCII name before the @.*no SMTPUTF8"):
        forwarding.forward(ticket, AGENT, typed)
    with pytest.raises(InvalidRequest, match="non-ASCII name before the @"):
        svc.desk.desk.add_participant(ticket, AGENT, typed)
    assert svc.sender.sent == []
    assert svc.desk.tickets.require_ticket(ticket).copied == ()


def test_a_participant_typed_in_unicode_is_stored_and_copied_as_punycode():
    svc, _, ticket = setup()
    updated = svc.desk.desk.add_participant(ticket, AGENT, TYPED)
    assert updated.copied == (ASCII,)
    assert svc.desk.desk.add_participant(ticket, AGENT, ASCII).copied == (ASCII,), "one spelling"


def test_mail_read_from_a_unicode_domain_names_the_sender_as_ses_would_send_to_them():
    assert canonical_address("Bob@Bücher.Example.") == "bob@xn--bcher-kva.example"
    [found] = parse_addresses("Bob <bob@bücher.example>")
    assert found.email == "bob@xn--bcher-kva.example"


def test_a_domain_written_as_an_encoded_word_is_read_as_the_domain_meant():
    # Python's email package (its default policy) writes a non-ASCII domain as an RFC 2047
    # encoded-word inside the address, which RFC 2047 section 5 forbids; read as written it
    # named the requester `juergen@=?utf-8?q?b=c3=bcc…`, an address nobody can answer.
    [found] = parse_addresses("=?utf-8?q?J=C3=BCrgen?= <juergen@=?utf-8?q?b=C3=BCcher?=.example>")
    assert found.email == "juergen@xn--bcher-kva.example"
    assert canonical_address("juergen@=?UTF-8?B?YsO8Y2hlcg==?=.example") == "juergen@xn--bcher-kva.example"
    assert canonical_address("juergen@=?bogus-charset?q?x?=.example").startswith("juergen@=?")  # kept
