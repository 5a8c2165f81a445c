"""Mail to a ticket's agent when its customer replies: each agent's own choice, off until
they turn it on (AlertPreferences).

It leaves through the one outbound guard as mail to a person (the suppression lists, the
sandbox, the reputation's stop), to the agent only, never to the customer, and cannot loop:
 - never to one of our mailboxes (the guard's rule for automatic mail refuses our whole
   domain, where agents' own addresses usually are; a mailbox is what would loop);
 - it is automatic mail (RFC 3834 §5: Auto-Submitted: auto-generated; [MS-OXCMAIL]
   X-Auto-Response-Suppress: All), so an agent's out-of-office does not answer it, and if an
   auto-reply came to a mailbox anyway, ingest files it as an auto-reply, never a ticket;
 - its Reply-To is the agent and its Message-ID names no ticket, so an answer goes back to
   the agent and threads nowhere;
 - it is bounded: after a staff reply, the customer's first answer alerts and more mail
   before the next staff reply does not; and an agent gets at most ALERTS_PER_AGENT_PER_DAY;
 - only to an agent on the staff: one disabled or removed gets none, whatever they chose;
 - it quotes nothing the customer wrote (their subject could carry a lure, as with
   acknowledgements): the ticket id and the console link only.
It is noted in the send ledger, so a bounce or complaint about it counts for the agent's address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.domain import outbound_mail as om
from chalicelib.domain import send_policy
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import PublicUrlMissing
from chalicelib.services import outbound_guard as guard
from chalicelib.services import outbound_sending as sending
from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.domain.tickets import Ticket
    from chalicelib.services.outbound_ports import OutboundPorts
    from chalicelib.services.ports.tickets import AlertPreferences

log = logging.getLogger("inbound.alerts")

# An agent's working day rarely sees more customer answers than this; a flood stops here.
ALERTS_PER_AGENT_PER_DAY = 200
ALERT_HEADERS = (("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"))


class AssigneeAlerts:
    def __init__(
        self,
        settings: Settings,
        ports: OutboundPorts,
        preferences: AlertPreferences,
        is_agent: Callable[[str], bool],
        per_day: int = ALERTS_PER_AGENT_PER_DAY,
    ) -> None:
        self.settings = settings
        self.ports = ports
        self.preferences = preferences
        self.is_agent = is_agent  # on the staff and not disabled (adapters/dynamodb_agents.py)
        self.per_day = per_day

    def customer_replied(self, ticket: Ticket) -> str:
        """Mail `ticket`'s agent, if they asked for it: "sent", "off" (not asked, nobody
        has the ticket, or its agent is disabled), "already" (`ticket`, as it was before this mail, had its customer's
        answer alerted), "rate_limited" (the agent's alerts of the day), "no_public_url" (a deployed
        stage that does not know its URL: no mail with a dead link) or the guard's refusal reason. Never raises a refusal: the customer's
        mail is filed whatever happens here."""
        agent = ticket.assignee
        if not agent or not self.preferences.wants_reply_mail(agent):
            return "off"
        if ticket.customer_replied:
            # The customer had answered the staff reply already, and that answer was alerted:
            # another would say nothing new, and one per mail let a customer's flood become
            # a stream of our mail to the agent.
            return "already"
        if not self.is_agent(agent):
            # Disabled or removed, with the ticket still in their name: they left the staff,
            # so their choice of mail lapses; the customer's mail goes to nobody outside.
            log.info("reply alert for %s not sent: %s is not an enabled agent", ticket.id, agent)
            return "off"
        if send_policy.is_own_address(agent, "", self.settings.mailboxes):
            log.info("reply alert for %s not sent: %s is one of our mailboxes", ticket.id, agent)
            return str(RefusalReason.AUTOMATIC_RECIPIENT)
        decision = guard.decide(self.settings, self.ports, agent, automatic=False)
        if not decision.allowed:
            log.info("reply alert for %s to %s refused: %s", ticket.id, agent, decision.reason)
            return str(decision.reason)
        try:
            link = f"{self.ports.public_url()}/?ticket={ticket.id}"
        except PublicUrlMissing as exc:
            log.error("reply alert for %s not sent: %s", ticket.id, exc)
            return "no_public_url"
        now = self.ports.clock()
        # A ceiling for what the turn rule above does not bound: mail on tickets the agent
        # has not answered yet. Counted as the automatic mail it is, per agent and day.
        if self.ports.auto_replies.take_auto_reply(
            agent, now.date().isoformat(), self.per_day, int(now.timestamp())
        ):
            log.info("reply alert for %s not sent: %s had %d today", ticket.id, agent, self.per_day)
            return str(RefusalReason.RATE_LIMITED)
        outgoing = om.OutgoingMail(
            ticket_id=ticket.id,
            from_address=sending.mailbox_address(self.settings, ticket.mailbox),
            from_name=sending.team_name(ticket.mailbox),
            to=(agent,),
            reply_to=agent,
            subject=f"Customer replied on {ticket.id}",
            text=(
                f"The customer wrote again on {ticket.id}, which is assigned to you.\n\n"
                f"Open it: {link}\n\n-- \nYou get this mail because you turned on reply mail in the "
                "console; turn it off there.\n"
            ),
            message_id=om.new_message_id(self.settings.domain),
            date=now,
            extra_headers=ALERT_HEADERS,
        )
        ses_id = sending.hand_over(self.settings, self.ports, outgoing)
        region = self.settings.region
        ids = (outgoing.message_id, f"<{ses_id}@email.amazonses.com>", f"<{ses_id}@{region}.amazonses.com>")
        self.ports.send_ledger.record_sent((agent,), ids, iso_millis(now), int(now.timestamp()))
        return "sent"
