"""The kinds of ticket event inbound publishes for integrations (chat, reporting, webhooks).

Each is one JSON message `{"kind", "ticket", "at", "detail"}` on the stage's SNS topic (the
sns_events adapter); others may publish more kinds, the topic does not restrict them.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    CREATED = "ticket.created"
    CUSTOMER_REPLIED = "ticket.customer_replied"
    STAFF_REPLIED = "ticket.staff_replied"
    STATUS_CHANGED = "ticket.status_changed"
    ASSIGNED = "ticket.assigned"
    NOTE_ADDED = "ticket.note_added"
    SPLIT = "ticket.split"
    MERGED = "ticket.merged"
    # An SLA clock ran past its due time (detail: clock, due, mailbox, priority, assignee);
    # once per clock and due time (services/sla_clocks.py).
    SLA_BREACHED = "ticket.sla_breached"
