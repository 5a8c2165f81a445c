"""The outbound guard's decision: may this mail go to this recipient, and if not, why.

Standard library only. The service gathers the facts (list look-ups, counters,
the triggering mail); `decide` applies the rules in a fixed order, so the first
refusal that applies is the one staff see. Order and meaning:

1. suppressed          the project's suppression list holds the recipient
2. account_suppressed  SES's account-level suppression list holds it (when SES can say)
3. sandbox             the account is in the SES sandbox and the recipient is not verified
4. reputation          the reputation guard is closed (automatic mail only; staff get a warning)
5. automatic mail only:
   automatic_recipient a no-reply, mailer-daemon, postmaster address, or one of our own
   automatic_trigger   the mail we would answer was itself automatic, or asked for no answers
   unauthenticated     the sender is not authenticated (domain/sender_trust.py) and the
                       mailbox acknowledges authenticated senders only
   rate_limited        the ticket was acknowledged already, or the sender had enough today
                       (or, unauthenticated, the recipient's domain had enough today)
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.classify import automatic_reason, is_automatic_address, requests_no_auto_reply
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ParsedMail
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.reputation import ReputationState

SIMULATOR_DOMAIN = "simulator.amazonses.com"  # SES's mailbox simulator: always allowed in the sandbox


class AckState(StrEnum):
    """A ticket's one acknowledgement, as stored: claimed before it is sent, then settled."""

    CLAIMED = "claimed"  # an invocation is sending it (or crashed doing so: the claim expires)
    SENT = "sent"  # SES took it
    REFUSED = "refused"  # the guard said no (the reason is stored with it)


@frozen
class SendFacts:
    recipient: str
    automatic: bool
    # The project's list: the entry's reason code, "" when the recipient is not on it.
    suppression_reason: str = ""
    # SES's account-level list; None when SES cannot tell (API missing, no permission).
    account_suppressed: bool | None = None
    # None: unknown (INBOUND_SES_SANDBOX=auto and GetAccount not available).
    sandbox: bool | None = None
    recipient_verified: bool | None = None
    reputation_state: ReputationState = ReputationState.OK
    reputation_note: str = ""
    own_address: bool = False  # one of our mailboxes or our domain: answering it loops
    trigger_automatic: str = ""  # why the mail we answer is automatic; "" when a person wrote it
    # The mail we answer is not from an authenticated sender, and the mailbox answers only those.
    unauthenticated_refused: str = ""  # the trust reason; "" otherwise
    ticket_acknowledged: bool = False
    sent_to_recipient_today: int = 0
    daily_limit: int = 3


@frozen
class Decision:
    allowed: bool
    reason: RefusalReason | None = None  # None when allowed
    detail: str = ""
    warning: str = ""


def _refuse(reason: RefusalReason, detail: str) -> Decision:
    return Decision(allowed=False, reason=reason, detail=detail)


def decide(facts: SendFacts) -> Decision:
    """The first rule that refuses, or an allowed decision (perhaps with a warning)."""
    who = facts.recipient
    if facts.suppression_reason:
        return _refuse(
            RefusalReason.SUPPRESSED, f"{who} is on the suppression list ({facts.suppression_reason})"
        )
    if facts.account_suppressed:
        return _refuse(
            RefusalReason.ACCOUNT_SUPPRESSED, f"{who} is on the SES account-level suppression list"
        )
    if facts.sandbox and facts.recipient_verified is False and not who.endswith("@" + SIMULATOR_DOMAIN):
        return _refuse(
            RefusalReason.SANDBOX, f"the SES account is in the sandbox and {who} is not a verified identity"
        )
    warning = ""
    if facts.reputation_state == ReputationState.PAUSED:
        if facts.automatic:
            return _refuse(RefusalReason.REPUTATION, f"automatic mail is paused: {facts.reputation_note}")
        warning = f"sending reputation at risk, automatic mail is paused: {facts.reputation_note}"
    elif facts.reputation_state == ReputationState.WARNING:
        warning = f"sending reputation warning: {facts.reputation_note}"
    if facts.automatic:
        if facts.own_address or is_automatic_address(who):
            what = "one of our own addresses" if facts.own_address else "an address no person reads"
            return _refuse(RefusalReason.AUTOMATIC_RECIPIENT, f"{who or '<>'} is {what}")
        if facts.trigger_automatic:
            return _refuse(
                RefusalReason.AUTOMATIC_TRIGGER,
                f"the mail to answer is automatic ({facts.trigger_automatic})",
            )
        if facts.unauthenticated_refused:
            return _refuse(
                RefusalReason.UNAUTHENTICATED,
                f"this mailbox acknowledges authenticated senders only ({facts.unauthenticated_refused})",
            )
        if facts.ticket_acknowledged:
            return _refuse(RefusalReason.RATE_LIMITED, "this ticket was acknowledged already")
        if facts.sent_to_recipient_today >= facts.daily_limit:
            return _refuse(
                RefusalReason.RATE_LIMITED,
                f"{who} had {facts.sent_to_recipient_today} automatic replies today (limit {facts.daily_limit})",
            )
    return Decision(allowed=True, warning=warning)


def trigger_reason(mail: ParsedMail) -> str:
    """Why answering `mail` automatically would be wrong (RFC 3834), or ""."""
    reason = automatic_reason(mail)
    if reason:
        return reason
    if requests_no_auto_reply(mail):
        return "X-Auto-Response-Suppress asks for no automatic reply"
    return ""


def is_own_address(address: str, domain: str, mailboxes: dict[str, str]) -> bool:
    """An address of ours: a configured mailbox (with or without a +tag) or our domain."""
    address = address.strip().lower()
    local, _, host = address.rpartition("@")
    host = host.rstrip(".")  # `support@example.com.` is ours too (the DNS root's dot)
    base = local.partition("+")[0]
    domain = domain.lower()
    return f"{base}@{host}" in mailboxes or host == domain or host.endswith("." + domain)
