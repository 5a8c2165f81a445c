"""A shallow error tree: one base, one class per thing a caller may handle."""

from chalicelib.domain.refusals import RefusalReason


class InboundError(Exception):
    """Base of every error inbound raises on purpose. `code`: the stable word the staff API
    answers it with (api/http_io.py) and a held reply's refusal keeps (services/held_replies.py),
    which the console says in the agent's language; "" for errors no caller is shown."""

    code = ""


class RawMailMissing(InboundError):
    """The raw message named by a notification is not in the bucket."""


class BadNotification(InboundError):
    """A queue record is not an SES notification we can act on."""


class TicketNotFound(InboundError):
    """No ticket has that id."""

    code = "ticket_not_found"


class SuspendedNotFound(InboundError):
    """No suspended automatic mail has that key."""

    code = "suspended_not_found"


class ConcurrentUpdate(InboundError):
    """Another writer changed the item first; retry the operation."""

    code = "concurrent_update"


class ConfigurationError(InboundError):
    """A setting or secret the app needs is missing or invalid."""

    code = "misconfigured"


class PublicUrlMissing(ConfigurationError):
    """A deployed stage does not know its own URL, so it mints no link that would lead nowhere."""


class SendRefused(InboundError):
    """The outbound guard refused a mail; `reason` is a stable code the API and CLI show
    (domain/refusals.py)."""

    default_reason = RefusalReason.REFUSED

    def __init__(self, detail: str, reason: RefusalReason | None = None, recipient: str = "") -> None:
        super().__init__(detail)
        self.reason = reason or self.default_reason
        self.code = str(self.reason)
        self.recipient = recipient
        self.detail = detail


class Suppressed(SendRefused):
    """The recipient is on the suppression list; nothing was sent."""

    default_reason = RefusalReason.SUPPRESSED


class HeaderInjection(SendRefused):
    """A header value from a user or a mail holds CR or LF; nothing was sent."""

    default_reason = RefusalReason.HEADER_INJECTION


class AlreadyProcessed(InboundError):
    """This SES delivery was committed before (a redelivery or a parallel run)."""


class TicketNumberTaken(InboundError):
    """Another delivery committed a new ticket first: the number this one read is gone."""

    def __init__(self, number: int, ticket_exists: bool) -> None:
        super().__init__(f"ticket number {number} was taken before this commit")
        self.number = number
        self.ticket_exists = ticket_exists


class DuplicateMessageId(InboundError):
    """Another delivery already stored this Message-ID in the same mailbox."""

    def __init__(self, message_id: str, ticket_id: str = "") -> None:
        super().__init__(f"Message-ID {message_id} is already stored on {ticket_id or 'a ticket'}")
        self.message_id = message_id
        self.ticket_id = ticket_id


class InvalidRequest(InboundError):
    """A staff request is malformed or asks for a value out of range."""

    code = "invalid_request"


class MessageNotFound(InboundError):
    """The ticket has no message with that key."""

    code = "message_not_found"


class SavedReplyNotFound(InboundError):
    """The mailbox has no saved reply with that id (deleted by a colleague, say)."""

    code = "saved_reply_not_found"


class TicketConflict(InboundError):
    """The ticket's current state does not allow the change (merged, its only message, ...)."""

    code = "conflict"


class StaleReply(TicketConflict):
    """A reply written against an old thread: the customer or a colleague wrote since
    (`newer`: those messages). Nothing was sent."""

    code = "stale"

    def __init__(self, reason: str, newer: tuple = ()) -> None:
        super().__init__(reason)
        self.newer = newer


class AssignedElsewhere(TicketConflict):
    """The ticket belongs to another agent: taking it must be asked for (take_over)."""

    code = "assigned"

    def __init__(self, ticket_id: str, assignee: str) -> None:
        super().__init__(f"{ticket_id} is assigned to {assignee}: take it over only if they agree")
        self.assignee = assignee


class MergedTicket(TicketConflict):
    """The ticket was merged into another: work, and reply, on that one (`into`)."""

    code = "merged"

    def __init__(self, ticket_id: str, into: str) -> None:
        super().__init__(f"{ticket_id} was merged into {into}; work on that ticket")
        self.ticket_id = ticket_id
        self.into = into


class Unauthorized(InboundError):
    """The request carries no valid staff token."""

    code = "unauthorized"


class AgentDisabled(Unauthorized):
    """A valid token of an agent an admin has disabled or removed since it was issued."""

    code = "agent_disabled"


class Forbidden(InboundError):
    """The caller's role does not allow the request (an agent on an admin's route)."""

    code = "forbidden"


class KeysUnavailable(InboundError):
    """The user pool's signing keys could not be fetched; tokens cannot be checked now."""

    code = "auth_unavailable"


class SecretsUnavailable(InboundError):
    """The reply secrets could not be read (SSM throttled or out) and none are kept; `retry_after` s."""

    code = "unavailable"

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class UnknownAgent(InboundError):
    """A valid staff token whose user has no agent name yet and cannot be given one."""

    code = "unknown_agent"


class TooManyAttempts(InboundError):
    """Too many sign-in attempts for an address or from a client; `retry_after` in seconds."""

    code = "rate_limited"

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
