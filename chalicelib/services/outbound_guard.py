"""The outbound guard: the send policy's decision (domain/send_policy.py) for one recipient,
with the facts it needs looked up: the suppression list, SES's account-level list and
sandbox, the reputation state, today's automatic replies. Look-ups stop at the first refusal."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain import send_policy
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.reputation import GuardState
from chalicelib.domain.send_policy import Decision, SendFacts
from chalicelib.errors import SendRefused, Suppressed
from chalicelib.services.outbound_ports import OutboundPorts
from chalicelib.services.suppression import guard_state
from chalicelib.settings import Settings


def refusal(decision: Decision, recipient: str) -> SendRefused:
    """The typed error for a refused decision."""
    kind = Suppressed if decision.reason == RefusalReason.SUPPRESSED else SendRefused
    return kind(decision.detail, decision.reason, recipient)


def decide(
    settings: Settings,
    ports: OutboundPorts,
    recipient: str,
    automatic: bool,
    trigger: str = "",
    state: GuardState | None = None,
    quiet: str = "",
) -> Decision:
    """The guard's decision for `recipient`; look-ups stop at the first refusal.
    `quiet`: why an automatic answer to this unauthenticated sender is not wanted."""
    now = ports.clock()
    entry = ports.suppression_list.get(recipient, int(now.timestamp())) if recipient else None
    facts = SendFacts(
        recipient=recipient,
        automatic=automatic,
        suppression_reason=entry.reason if entry else "",
        own_address=bool(recipient) and is_own(settings, recipient),
        trigger_automatic=trigger,
        unauthenticated_refused=quiet,
        daily_limit=settings.auto_replies_per_sender_per_day,
    )
    if entry is None and recipient:
        facts = replace(facts, account_suppressed=ports.sender.account_suppressed(recipient)[0])
    early = send_policy.decide(replace(facts, automatic=False))  # rules 1-2 only
    if not early.allowed:
        return early
    if in_sandbox(settings, ports):
        facts = replace(facts, sandbox=True, recipient_verified=ports.sender.is_verified(recipient))
    state = state or guard_state(ports.counters, settings, now, ports.account_rates())
    facts = replace(facts, reputation_state=state.state, reputation_note=state.note)
    if automatic and recipient:
        today = now.date().isoformat()
        facts = replace(facts, sent_to_recipient_today=ports.auto_replies.auto_replies(recipient, today))
    return send_policy.decide(facts)


def in_sandbox(settings: Settings, ports: OutboundPorts) -> bool | None:
    """Whether SES holds the account in its sandbox (settings, else the account; None: unknown)."""
    mode = settings.ses_sandbox
    if mode in ("true", "false"):
        return mode == "true"
    production = ports.sender.production_access()
    return None if production is None else not production


def is_own(settings: Settings, address: str) -> bool:
    return send_policy.is_own_address(address, settings.domain, settings.mailboxes)
