"""A shallow error tree: one base, one class per thing a caller may handle."""


class InboundError(Exception):
    """Base of every error inbound raises on purpose."""


class RawMailMissing(InboundError):
    """The raw message named by a notification is not in the bucket."""


class BadNotification(InboundError):
    """A queue record is not an SES notification we can act on."""


class TicketNotFound(InboundError):
    """No ticket has that id."""


class SuspendedNotFound(InboundError):
    """No held automatic mail has that key."""


class ConcurrentUpdate(InboundError):
    """Another writer changed the item first; retry the operation."""


class StorageError(InboundError):
    """An AWS storage call failed in a way a retry may cure."""


class ConfigurationError(InboundError):
    """A setting or secret the app needs is missing or invalid."""


class Suppressed(InboundError):
    """The recipient is on the suppression list; nothing was sent."""


class AlreadyProcessed(InboundError):
    """This SES delivery was committed before (a redelivery or a parallel run)."""


class DuplicateMessageId(InboundError):
    """Another delivery already stored this Message-ID in the same mailbox."""

    def __init__(self, message_id: str, ticket_id: str = "") -> None:
        super().__init__(f"Message-ID {message_id} is already stored on {ticket_id or 'a ticket'}")
        self.message_id = message_id
        self.ticket_id = ticket_id
