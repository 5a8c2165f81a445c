"""The composer's tools: a mailbox's saved replies, each agent's display name and signature,
and a reply as it is sent (markdown rendered to safe HTML with a plain-text part, the
signature under it).

Admins manage saved replies (api/admin_only.py: the token's group, and the staff directory
asked afresh for each change); every agent lists them,
filled with a ticket's values, to insert one into a reply. Each agent sets their own display
name and signature. The signature is added at send, here, to every reply the agent sends,
from the console or `inbound tickets reply`, and the composer's preview shows it: so the
mail is signed the same way whichever tool wrote it, and nobody can forget it or sign with
a colleague's. The display name goes into From as "Ana at Support team"; the address stays
the mailbox's, and the mail leaves through the one outbound guard (services/outbound.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.domain import saved_replies as sr
from chalicelib.domain.frozen import frozen
from chalicelib.domain.markdown_render import Rendered, render
from chalicelib.domain.tickets import Direction
from chalicelib.errors import Forbidden, InvalidRequest, SavedReplyNotFound

if TYPE_CHECKING:
    from chalicelib.domain.saved_replies import AgentProfile, SavedReply
    from chalicelib.domain.tickets import Ticket
    from chalicelib.services.ports.composer import AgentProfiles, SavedReplies
    from chalicelib.services.ports.tickets import TicketStore

FORMATS = ("text", "markdown")


@frozen
class Written:
    """A reply as it leaves: its text part, its HTML part ("": made from the text), and the
    agent's display name for From ("": the team's name alone)."""

    text: str
    html: str
    display_name: str


class Composer:
    def __init__(
        self,
        replies: SavedReplies,
        profiles: AgentProfiles,
        tickets: TicketStore,
        mailboxes: Sequence[str],
        now: Callable[[], str],
        sanitise: Callable[[str], str],
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12],
    ) -> None:
        self.replies = replies
        self.profiles = profiles
        self.tickets = tickets
        self.mailboxes = tuple(dict.fromkeys(mailboxes))
        self.now = now
        self.sanitise = sanitise  # nh3, as for received mail (adapters/mail/body_render.py)
        self.new_id = new_id

    # -- saved replies ------------------------------------------------------------
    def saved(self, mailbox: str) -> list[SavedReply]:
        return self.replies.list(self._mailbox(mailbox))

    def for_ticket(self, ticket_id: str, agent: str) -> tuple[Ticket, list[tuple[SavedReply, str]]]:
        """The ticket's mailbox's saved replies, each with its body filled for this ticket."""
        ticket = self.tickets.require_ticket(ticket_id)
        values = self._values(ticket, agent)
        return ticket, [(r, sr.fill(r.body, values)) for r in self.replies.list(ticket.mailbox)]

    def create(self, agent: str, admin: bool, mailbox: str, title: str, body: str) -> SavedReply:
        self._manager(admin)
        mailbox = self._mailbox(mailbox)
        if len(self.replies.list(mailbox)) >= sr.REPLIES_PER_MAILBOX:
            raise InvalidRequest(f"{mailbox} has {sr.REPLIES_PER_MAILBOX} saved replies: delete some first")
        title, body = _checked(title, body)
        reply = sr.SavedReply(mailbox, self.new_id(), title, body, self.now(), agent)
        if not self.replies.put(reply, new=True):
            raise InvalidRequest("that id is taken: save again")
        return reply

    def edit(self, agent: str, admin: bool, mailbox: str, reply_id: str, title: str, body: str) -> SavedReply:
        self._manager(admin)
        mailbox = self._mailbox(mailbox)
        title, body = _checked(title, body)
        reply = sr.SavedReply(mailbox, reply_id, title, body, self.now(), agent)
        if not self.replies.put(reply, new=False):
            raise SavedReplyNotFound(f"{mailbox} has no saved reply {reply_id} (deleted meanwhile?)")
        return reply

    def delete(self, admin: bool, mailbox: str, reply_id: str) -> None:
        self._manager(admin)
        mailbox = self._mailbox(mailbox)
        if not self.replies.delete(mailbox, reply_id):
            raise SavedReplyNotFound(f"{mailbox} has no saved reply {reply_id}")

    # -- the agent's profile -----------------------------------------------------
    def profile(self, agent: str) -> AgentProfile:
        return self.profiles.get(agent) or sr.AgentProfile(agent)

    def set_profile(self, agent: str, display_name: str | None, signature: str | None) -> AgentProfile:
        """Change what is given (None: keep it)."""
        before = self.profile(agent)
        name = before.display_name if display_name is None else display_name
        sign = before.signature if signature is None else signature
        try:
            name, sign = sr.check_profile(name, sign)
        except sr.TemplateError as exc:
            raise InvalidRequest(str(exc)) from None
        after = replace(before, display_name=name, signature=sign)
        self.profiles.put(after)
        return after

    # -- a reply as it is sent ------------------------------------------------------
    def written(self, agent: str, text: str, format: str = "text", html: str = "") -> Written:
        """`text` as sent by `agent`: signed; with `format` markdown, rendered to safe HTML.
        `html` (the API's own HTML part, "text" format only) is sanitised like received mail
        and signed too: no reply leaves with HTML that neither renderer has been through."""
        if format not in FORMATS:
            raise InvalidRequest(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        if format == "markdown" and html:
            raise InvalidRequest("give markdown text or an html part, not both")
        if not text.strip():  # nothing written: a signature alone must not make a blank reply go
            return Written(text, self.sanitise(html) if html else "", "")
        profile = self.profile(agent)
        if format == "markdown":
            rendered = render(text, profile.signature)
            return Written(rendered.text, rendered.html, profile.display_name)
        signed = f"{text.rstrip()}\n\n-- \n{profile.signature}\n" if profile.signature else text
        own = self.sanitise(html) + render("", profile.signature).html if html else ""
        return Written(signed, own, profile.display_name)

    def preview(self, agent: str, text: str) -> Rendered:
        """What `written(agent, text, "markdown")` would send."""
        return render(text, self.profile(agent).signature)

    # -- steps --------------------------------------------------------------------
    def _values(self, ticket: Ticket, agent: str) -> dict[str, str]:
        name = next(
            (
                m.sender_name
                for m in self.tickets.messages(ticket.id)
                if m.direction == Direction.INBOUND and m.sender.lower() == ticket.requester
            ),
            "",
        )
        profile = self.profile(agent)
        return {
            "customer_name": sr.escape_markup(name),
            "customer_first_name": sr.escape_markup(sr.first_name(name)),
            # A quoted local part may hold any markdown: "[Pay](https://evil.test)"@x.test.
            "customer_email": sr.escape_markup(ticket.requester),
            "ticket_id": ticket.id,
            "ticket_subject": sr.escape_markup(ticket.subject),
            "agent_name": sr.escape_markup(profile.display_name or agent),
            "mailbox": ticket.mailbox,
        }

    def _mailbox(self, mailbox: str) -> str:
        box = (mailbox or "").strip().lower()
        if box not in self.mailboxes:
            raise InvalidRequest(f"unknown mailbox {box!r}; use {', '.join(self.mailboxes)}")
        return box

    @staticmethod
    def _manager(admin: bool) -> None:
        if not admin:
            raise Forbidden("only an admin manages saved replies (Cognito group admin); agents use them")


def _checked(title: str, body: str) -> tuple[str, str]:
    try:
        return sr.check_reply(title, body)
    except sr.TemplateError as exc:
        raise InvalidRequest(str(exc)) from None
