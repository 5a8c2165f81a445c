"""Threading under attack, through the real ingest against moto: mallory never gets a message
onto alice's ticket, whatever she forges, replays or spoofs.

GIVEN two customers, alice and mallory, each with a ticket (and each acknowledged, so that
alice holds a real signed reply address), WHEN mallory's mail carries one of alice's
threading signals, THEN alice's ticket is exactly as it was, and mallory's mail is a new
ticket that names alice's as related, so staff can see what was tried.

The pure rules are in tests/unit/test_correlation.py and test_reply_tokens_and_routing.py;
this module checks that the pipeline feeds them the right facts (the envelope recipient, the
SES DMARC verdict, the stored Message-IDs, the secret as it is after a rotation).

Over 300 lines on purpose: one attack scenario (alice, mallory, their acknowledged tickets)
and every forgery tried against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.domain.outcome import Outcome
from chalicelib.domain.reply_tokens import reply_address, sign
from chalicelib.wiring import build_services
from chalicelib.wiring.clients import new_session
from inbound.local.embedded import REGION
from inbound.stage.provision.run import rotate_reply_secret
from tests.support.deliver import deliver as deliver_to
from tests.support.mail_factory import make_mail
from tests.support.ses_requests import send_raw_request

ALICE = "alice@customer.org"
MALLORY = "mallory@evil.test"
SUPPORT = "support@example.com"


@dataclass
class Desk:
    """Services built fresh on the stack (so the secret is read as SSM holds it now), with
    acknowledgements on and every SendRawEmail request captured."""

    stack: Any
    svc: Any
    sent: list[dict]

    def deliver(self, raw: bytes, to: str = SUPPORT, **verdicts: str) -> Outcome:
        target = SimpleNamespace(
            store=self.svc.ingest.ports.store, settings=self.svc.settings, ingest=self.svc.ingest
        )
        return deliver_to(target, raw, recipients=(to,), **verdicts)

    def acknowledgement(self, ticket_id: str):
        """The acknowledgement SES was handed for `ticket_id`, as the customer receives it."""
        for request in self.sent:
            mail = message_from_bytes(request["Raw"], policy=policy.default)
            if f"[{ticket_id}]" in str(mail["Subject"]):
                return mail
        raise AssertionError(f"no acknowledgement of {ticket_id} was sent")

    def snapshot(self, ticket_id: str) -> tuple[Any, list[str]]:
        """What staff see of a ticket: its record and the keys of its messages."""
        tickets = self.stack.tickets
        return tickets.get_ticket(ticket_id), [m.key for m in tickets.messages(ticket_id)]

    def inbound(self, ticket_id: str) -> list[Any]:
        """The customer messages of a ticket (acknowledgements left out)."""
        return [m for m in self.stack.tickets.messages(ticket_id) if m.direction == "inbound"]

    def mail_to(self, address: str) -> list[str]:
        """Everything sent to `address`, as raw text."""
        return [r["Raw"].decode("ascii", "replace") for r in self.sent if address in r["Destinations"]]


@dataclass
class Scene:
    desk: Desk
    alice: Outcome  # alice's ticket, acknowledged
    mallory: Outcome  # mallory's own ticket, acknowledged
    alice_reply_to: str  # the signed reply address from alice's acknowledgement
    alice_ack_id: str  # the Message-ID of that acknowledgement
    before: tuple[Any, list[str]]

    def assert_alice_untouched(self) -> None:
        assert self.desk.snapshot(self.alice.ticket) == self.before, "a message landed on alice's ticket"


def _desk(stack) -> Desk:
    settings = replace(stack.settings, acknowledge_new_tickets=True)
    svc = build_services(settings, new_session(REGION))
    sent: list[dict] = []
    svc.outbound.ports.sender.client.meta.events.register(
        "before-call.ses.SendRawEmail", lambda params, **_: sent.append(send_raw_request(params["body"]))
    )
    return Desk(stack, svc, sent)


@pytest.fixture
def scene(stack) -> Scene:
    desk = _desk(stack)
    alice = desk.deliver(
        make_mail(subject="My invoice", sender=f"Alice <{ALICE}>", message_id="<a1@customer.org>")
    )
    mallory = desk.deliver(
        make_mail(subject="Hello", sender=f"Mallory <{MALLORY}>", message_id="<m1@evil.test>")
    )
    assert alice.outcome == mallory.outcome == "created" and alice.ticket != mallory.ticket
    ack = desk.acknowledgement(alice.ticket)
    assert ack["To"] == ALICE
    return Scene(
        desk, alice, mallory, str(ack["Reply-To"]), str(ack["Message-ID"]), desk.snapshot(alice.ticket)
    )


def _assert_new_ticket_naming_alice(
    scene: Scene, outcome: Outcome, requester: str, why: str, related: bool = True
) -> None:
    """Alice's ticket is as it was; mallory's mail opened a ticket of its own with the reason
    noted and (`related`) alice's ticket named as related, for staff to see what was tried."""
    scene.assert_alice_untouched()
    assert outcome.outcome == "created" and outcome.thread_signal == "new", outcome
    assert outcome.ticket not in (scene.alice.ticket, scene.mallory.ticket)
    ticket = scene.desk.stack.tickets.get_ticket(outcome.ticket)
    assert ticket.requester == requester
    [stored] = scene.desk.inbound(outcome.ticket)
    assert why in stored.reason, stored.reason
    if related:
        assert outcome.related_ticket == stored.related_ticket == scene.alice.ticket


def _flip(token: str) -> str:
    """The same token with its last character changed: a near miss, not random noise."""
    return token[:-1] + ("a" if token[-1] != "a" else "b")


def _nonce(scene: Scene) -> str:
    """The random value alice's ticket signs its tokens with."""
    return scene.desk.stack.tickets.get_ticket(scene.alice.ticket).token_nonce


def _token_of(address: str) -> str:
    return address.partition("@")[0].rpartition(".")[2]


def test_a_forged_token_for_alices_ticket_opens_a_ticket_of_its_own(scene):
    """(a) The reply address of alice's ticket with one character of its HMAC changed."""
    forged = scene.alice_reply_to.replace(
        _token_of(scene.alice_reply_to), _flip(_token_of(scene.alice_reply_to))
    )
    assert forged != scene.alice_reply_to
    outcome = scene.desk.deliver(make_mail(subject="Re: My invoice", sender=MALLORY, to=forged), to=forged)
    _assert_new_ticket_naming_alice(scene, outcome, MALLORY, "did not verify")


def _spoof(scene: Scene, subject_tag: bool = False, references: bool = False) -> bytes:
    """Mail From: alice (display name and all) to the reply address of her acknowledgement."""
    return make_mail(
        subject=f"Re: My invoice [{scene.alice.ticket}]" if subject_tag else "Re: My invoice",
        sender=f"Alice <{ALICE}>",
        to=scene.alice_reply_to,
        body="Please send the refund to my new account.",
        in_reply_to=scene.alice_ack_id if references else None,
        references=f"<a1@customer.org> {scene.alice_ack_id}" if references else None,
    )


@pytest.mark.parametrize(
    "extras",
    [{}, {"subject_tag": True, "references": True}],
    ids=["token only", "token, subject tag and References"],
)
def test_alices_own_token_replayed_under_her_spoofed_name_with_dmarc_fail_never_threads(scene, extras):
    """(b) A valid token copied from alice's acknowledgement, sent From: alice by someone else:
    SES says DMARC FAIL, so nothing this mail carries may thread it, however strong."""
    outcome = scene.desk.deliver(_spoof(scene, **extras), to=scene.alice_reply_to, dmarc="FAIL")
    _assert_new_ticket_naming_alice(scene, outcome, ALICE, "DMARC failed", related=bool(extras))
    [stored] = scene.desk.inbound(outcome.ticket)
    assert stored.verdicts["dmarc"] == "FAIL"  # the console shows the failed badge


def test_a_spoofed_mail_with_a_valid_token_names_the_ticket_it_claimed(scene):
    """(b) Staff should see which ticket a DMARC-failed mail tried to join, as they do for a
    forged token, a foreign tag or stranger's References."""
    outcome = scene.desk.deliver(_spoof(scene), to=scene.alice_reply_to, dmarc="FAIL")
    assert outcome.outcome == "created" and outcome.related_ticket == scene.alice.ticket


def test_a_foreign_subject_tag_from_mallorys_own_address_does_not_thread(scene):
    """(c) `[T-alice]` in the subject of a mail from mallory, who is no participant there."""
    tagged = make_mail(subject=f"Re: [{scene.alice.ticket}] My invoice", sender=MALLORY)
    outcome = scene.desk.deliver(tagged)
    _assert_new_ticket_naming_alice(scene, outcome, MALLORY, "not a participant")


@pytest.mark.parametrize("which", ["alice's message", "our acknowledgement to alice"])
def test_in_reply_to_and_references_of_alices_thread_from_mallory_do_not_thread(scene, which):
    """(d) Message-IDs are not secret (they travel in every header): knowing one proves nothing."""
    known = "<a1@customer.org>" if which == "alice's message" else scene.alice_ack_id
    outcome = scene.desk.deliver(
        make_mail(subject="Re: My invoice", sender=MALLORY, in_reply_to=known, references=known)
    )
    _assert_new_ticket_naming_alice(scene, outcome, MALLORY, "not a participant")


def test_a_token_signed_for_another_mailbox_does_not_verify_here(scene):
    """(e) billing's valid signature on alice's (support) ticket id, sent to support: the
    mailbox is part of what is signed, so a token from one mailbox opens nothing in another."""
    secret = scene.desk.svc.ingest.ports.reply_secrets()[0]
    billing = reply_address(secret, "billing@example.com", scene.alice.ticket, _nonce(scene))
    address = f"support+{scene.alice.ticket}.{_token_of(billing)}@example.com"
    outcome = scene.desk.deliver(make_mail(sender=MALLORY, to=address), to=address)
    _assert_new_ticket_naming_alice(scene, outcome, MALLORY, "did not verify")


def test_a_valid_billing_address_naming_a_support_ticket_opens_a_billing_ticket(scene):
    """(e) The billing mailbox's own, correctly signed address for alice's ticket id: the
    signature holds, but the ticket is not one of billing's, so billing gets a new ticket."""
    secret = scene.desk.svc.ingest.ports.reply_secrets()[0]
    address = reply_address(secret, "billing@example.com", scene.alice.ticket, _nonce(scene))
    outcome = scene.desk.deliver(make_mail(sender=MALLORY, to=address), to=address)
    assert outcome.mailbox == "billing"
    _assert_new_ticket_naming_alice(scene, outcome, MALLORY, "not a ticket of this mailbox")


def test_a_token_from_a_rotated_out_secret_does_not_verify(scene, stack):
    """(f) One rotation keeps alice's address working (the previous secret still verifies);
    after a second one it is dead: a mail to it opens a new ticket instead."""
    rotate_reply_secret(stack.session, "test", REGION)
    desk = _desk(stack)  # a fresh container: reads the rotated secret
    still = desk.deliver(
        make_mail(subject="Re: My invoice", sender=ALICE, to=scene.alice_reply_to), to=scene.alice_reply_to
    )
    assert (still.outcome, still.ticket, still.thread_signal) == ("threaded", scene.alice.ticket, "token")
    scene.before = desk.snapshot(scene.alice.ticket)

    rotate_reply_secret(stack.session, "test", REGION)
    desk = _desk(stack)
    scene.desk = desk
    secrets = desk.svc.ingest.ports.reply_secrets()
    assert len(secrets) == 2 and _token_of(scene.alice_reply_to) not in {
        sign(s, "support", scene.alice.ticket, _nonce(scene)) for s in secrets
    }
    outcome = desk.deliver(make_mail(sender=MALLORY, to=scene.alice_reply_to), to=scene.alice_reply_to)
    _assert_new_ticket_naming_alice(scene, outcome, MALLORY, "did not verify")


def _with_from(header: str, **mail: Any) -> bytes:
    """A mail whose From line is exactly `header` (`email` would rewrite a malformed one)."""
    raw = make_mail(sender="placeholder@evil.test", **mail)
    assert raw.count(b"From: placeholder@evil.test") == 1
    return raw.replace(b"From: placeholder@evil.test", b"From: " + header.encode())


@pytest.mark.parametrize(
    "header",
    ["alice@customer.org <mallory@evil.test>", "<alice@customer.org> <mallory@evil.test>"],
    ids=["unquoted address as display name", "two angle addresses"],
)
def test_a_from_line_that_parsers_read_differently_does_not_thread_as_alice(scene, header):
    """A parser differential: the mail clients and DMARC see mallory@evil.test (whose domain
    mallory controls, so SES says DMARC PASS); a parser that takes the first address of the
    line sees alice. Whatever it says, alice's References must not carry it onto her ticket."""
    spoof = _with_from(
        header, subject="Re: My invoice", in_reply_to="<a1@customer.org>", references="<a1@customer.org>"
    )
    outcome = scene.desk.deliver(spoof, dmarc="PASS")
    scene.assert_alice_untouched()
    assert outcome.outcome == "created" and outcome.ticket != scene.alice.ticket


def test_nothing_sent_to_mallory_gives_away_alices_ticket_or_address(scene):
    """The mail mallory gets back (her acknowledgements) names only her own tickets: the
    related ticket is for staff, never echoed to the sender."""
    tagged = scene.desk.deliver(
        make_mail(subject="About your ticket", sender=MALLORY, in_reply_to="<a1@customer.org>")
    )
    forged = scene.alice_reply_to.replace(
        _token_of(scene.alice_reply_to), _flip(_token_of(scene.alice_reply_to))
    )
    token = scene.desk.deliver(make_mail(sender=MALLORY, to=forged), to=forged)
    assert tagged.related_ticket == token.related_ticket == scene.alice.ticket
    to_mallory = [
        message_from_bytes(raw.encode(), policy=policy.default) for raw in scene.desk.mail_to(MALLORY)
    ]
    assert len(to_mallory) == 3  # her first ticket and the two new ones, acknowledged
    for ack in to_mallory:
        whole = ack.as_string()
        assert _token_of(scene.alice_reply_to) not in whole and "a1@customer.org" not in whole
        assert not re.search(rf"\b{scene.alice.ticket}\b", whole), whole
    assert {str(ack["Reply-To"]).partition("+")[2].partition(".")[0] for ack in to_mallory} == {
        scene.mallory.ticket,
        tagged.ticket,
        token.ticket,
    }
    scene.assert_alice_untouched()


def test_alice_replying_twice_with_the_same_token_threads_both(scene):
    """A legitimate replay: the same reply address used again (a second thought, a resend)
    is not an attack; both mails join alice's ticket by token."""
    address = scene.alice_reply_to
    first = scene.desk.deliver(
        make_mail(subject="Re: My invoice", sender=ALICE, to=address, body="One."), to=address
    )
    second = scene.desk.deliver(
        make_mail(subject="Re: My invoice", sender=ALICE, to=address, body="Two."), to=address
    )
    for outcome in (first, second):
        assert (outcome.outcome, outcome.ticket, outcome.thread_signal) == (
            "threaded",
            scene.alice.ticket,
            "token",
        )
    ticket, keys = scene.desk.snapshot(scene.alice.ticket)
    assert set(keys) == set(scene.before[1]) | {first.ses_message_id, second.ses_message_id}
    assert ticket.message_count == scene.before[0].message_count + 2


def test_by_design_a_valid_token_threads_from_any_address_but_adds_nobody(scene):
    """What a replayed token does (correlation.decide, rule 1): the reply address is a
    capability. Whoever holds it may write to the ticket, like a colleague alice forwarded
    our mail to, but only the requester's and participants' own authenticated mail adds
    participants: the holder is not copied on staff replies unless staff add them.

    So alice's reply address is as private as the mail that carries it: if mallory gets hold
    of it (a forwarded acknowledgement), she can write onto alice's ticket under her own
    name, visibly (stored from mallory, threaded by `token`), and reads nothing back."""
    address = scene.alice_reply_to
    joined = scene.desk.deliver(
        make_mail(subject="Re: My invoice", sender=MALLORY, to=address, cc="mallory2@evil.test"), to=address
    )
    assert (joined.outcome, joined.ticket, joined.thread_signal) == ("threaded", scene.alice.ticket, "token")
    [stored] = [m for m in scene.desk.inbound(scene.alice.ticket) if m.key == joined.ses_message_id]
    assert (stored.sender, stored.thread_signal) == (MALLORY, "token")
    assert f"{MALLORY} is not a participant" in stored.reason
    ticket = scene.desk.stack.tickets.get_ticket(scene.alice.ticket)
    assert ticket.requester == ALICE and ticket.copied == ()

    scene.desk.svc.outbound.reply(scene.alice.ticket, "ann@example.com", "Refund sent.")
    assert scene.desk.sent[-1]["Destinations"] == [ALICE]
