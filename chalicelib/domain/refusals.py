"""Why a mail was not sent: the stable codes the API, the CLI and the stored records show.

Standard library only (chalicelib/errors.py carries them on SendRefused).
"""

from __future__ import annotations

from enum import StrEnum


class RefusalReason(StrEnum):
    # The outbound guard's rules, in the order send_policy.decide applies them.
    SUPPRESSED = "suppressed"
    ACCOUNT_SUPPRESSED = "account_suppressed"
    SANDBOX = "sandbox"
    REPUTATION = "reputation"
    AUTOMATIC_RECIPIENT = "automatic_recipient"
    AUTOMATIC_TRIGGER = "automatic_trigger"
    UNAUTHENTICATED = "unauthenticated"
    RATE_LIMITED = "rate_limited"
    # The request itself: the same request will be refused again.
    HEADER_INJECTION = "header_injection"
    INVALID_ADDRESS = "invalid_address"
    TOO_LARGE = "too_large"
    # SES refused the message (MessageRejected and the like).
    SES_REJECTED = "ses_rejected"
    REFUSED = "refused"  # no more precise reason was given


# Refusals whose cause is the request itself; the others are the state of the world
# (suppression, reputation, sandbox), which the same request may pass later.
INVALID_REQUEST = frozenset(
    {RefusalReason.HEADER_INJECTION, RefusalReason.INVALID_ADDRESS, RefusalReason.TOO_LARGE}
)
