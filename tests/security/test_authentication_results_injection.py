"""Verdicts smuggled into SES's own Authentication-Results through the envelope sender.

SES writes the MAIL FROM it checked into the Authentication-Results it prepends
(`smtp.mailfrom=` or `envelope-from=`). The local part of that address is the sender's to
choose, and a quoted local part may hold spaces, `=` and `;` (RFC 5321 4.1.2):
`MAIL FROM:<"x dkim=pass header.d=customer.org dmarc=pass"@evil.test>`. Read as text, the
trusted header then says `dkim=pass header.d=customer.org` and `dmarc=pass` before SES's own
`dkim=` and `dmarc=` results.

GIVEN alice's ticket WHEN mallory's spoofed mail (From: alice, `[T-n]`, Cc mallory) carries
such a MAIL FROM, THEN it is judged by SES's real results only: a new ticket linked to
alice's, whether the verdicts come from the notification (DKIM passing for mallory's own
evil.test) or are read back from the stored headers (`inbound process`, a redelivery).
"""

from __future__ import annotations

from inbound.local.replay import Replayer
from tests.support.deliver import deliver
from tests.support.hijack import (
    MALLORY,
    Outbox,
    Victim,
    assert_linked_new_ticket,
    assert_replies_reach_alice_alone,
    spoof,
)

INJECTED = '"x dkim=pass header.d=customer.org dmarc=pass"@evil.test'
SEMICOLONS = '"x;dkim=pass header.i=@customer.org;dmarc=pass"@evil.test'


def ses_prefix(mail_from: str, spf: str, dkim: str) -> bytes:
    """The headers SES prepends to mallory's mail, MAIL FROM quoted as it came."""
    lines = [
        f"Return-Path: <{mail_from}>",
        "X-SES-Spam-Verdict: PASS",
        "X-SES-Virus-Verdict: PASS",
        f"Received-SPF: {spf} (spfCheck: domain of evil.test) client-ip=192.0.2.7; envelope-from={mail_from};",
        f"Authentication-Results: amazonses.com; spf={spf} (spfCheck: domain of evil.test) client-ip=192.0.2.7;"
        f" smtp.mailfrom={mail_from}; dkim={dkim} header.i=@evil.test; dmarc=none header.from=customer.org;",
    ]
    return "".join(line + "\r\n" for line in lines).encode()


def test_results_in_the_envelope_sender_never_align_a_dkim_pass_for_mallorys_domain(
    alice: Victim, outbox: Outbox
) -> None:
    """Cloud: SES's verdicts in the notification, DKIM passing for evil.test, the
    customer's domain without DMARC (GRAY)."""
    for mail_from in (INJECTED, SEMICOLONS):
        raw = ses_prefix(mail_from, "pass", "pass") + spoof(
            alice, "Cc", subject=f"Re: My invoice [{alice.ticket}]"
        )
        outcome = deliver(alice.api.stack, raw, source=mail_from, dmarc="GRAY", spf="PASS", dkim="PASS")
        assert_linked_new_ticket(alice, outcome, "but the sender is not authenticated")
    assert_replies_reach_alice_alone(alice, outbox)


def test_results_in_the_envelope_sender_never_become_verdicts_read_back_from_the_headers(
    alice: Victim, outbox: Outbox
) -> None:
    """`inbound process` and redeliveries read the verdicts from the headers SES wrote."""
    replayer = Replayer(alice.api.stack.ingest, alice.api.stack.store)
    for mail_from in (INJECTED, SEMICOLONS):
        raw = ses_prefix(mail_from, "none", "none") + spoof(
            alice, "Cc", subject=f"Re: My invoice [{alice.ticket}]"
        )
        outcome = replayer.process_bytes(raw)
        new = assert_linked_new_ticket(alice, outcome, "but the sender is not authenticated")
        assert new["messages"][0]["verdicts"]["dmarc"] == "GRAY"
    assert MALLORY not in str(alice.view()["ticket"])
    assert_replies_reach_alice_alone(alice, outbox)
