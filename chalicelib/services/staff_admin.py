"""Staff administration from the console: list, invite, disable, enable, remove, role.

Only an admin gets here (api/admin_only.py: the token's `cognito:groups` holds `admin` and the
staff directory has not recorded them agent since). A role is written to Cognito's groups and
recorded in the staff directory (AgentNames.set_role), which ends a demoted admin's rights at once.
An invitation is a Cognito user made with a one-time password and MessageAction SUPPRESS;
the mail that carries the password is ours, through the outbound guard like every mail
that leaves (a suppressed address is refused before the user is made). The last enabled
admin cannot be disabled, removed or made agent: nobody could administer staff after. The
check and the change it allows are made under the staff guard (adapters/dynamodb_admin_guard),
one at a time, here and in `inbound staff`: two admins demoting each other at once leave one.
The agents' roster (who can be assigned) follows disable, enable and remove.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain import outbound_mail as om
from chalicelib.domain.address_ascii import NotSendable, sendable
from chalicelib.domain.staff_identity import ADMIN, ROLES, last_admin_refusal, one_time_password
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import InvalidRequest, TicketConflict
from chalicelib.services import outbound_guard as guard
from chalicelib.services import outbound_sending as sending

if TYPE_CHECKING:
    from chalicelib.services.outbound import OutboundService
    from chalicelib.services.ports.staff import AdminGuard, StaffDirectory
    from chalicelib.services.ports.tickets import AgentNames


class StaffConflict(TicketConflict):
    """The change would leave the staff without an admin, or the address is taken."""


# The address is the Cognito user name, which AdminCreateUser takes up to 128 characters.
MAX_USERNAME_CHARS = 128
# The staff guard's lease: longer than the API function runs (30 s), so a holder never loses
# it while still writing; one that died blocks admin changes this long at most.
GUARD_LEASE_SECONDS = 60
GUARD_WAIT_SECONDS, GUARD_ATTEMPTS = 0.1, 50  # a colleague's change takes a second or two


def _email(value: str) -> str:
    try:
        email = sendable(value.strip().lower())  # the invitation is mail: a domain as SES takes it
    except NotSendable as exc:
        raise InvalidRequest(str(exc)) from None
    if not om.writable(email) or "@" not in email:
        raise InvalidRequest(f"not an email address: {value!r}")
    if len(email) > MAX_USERNAME_CHARS:
        raise InvalidRequest(
            f"a staff address is at most {MAX_USERNAME_CHARS} characters (a Cognito user name)"
        )
    return email


class StaffAdmin:
    def __init__(
        self,
        directory: StaffDirectory,
        roster: AgentNames,
        outbound: OutboundService,
        guard: AdminGuard,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.directory = directory
        self.roster = roster
        self.outbound = outbound
        self.guard = guard
        self._sleep = sleep

    def members(self) -> list[dict[str, Any]]:
        return self.directory.members()

    def invite(self, email: str, role: str, console_url: str) -> dict[str, Any]:
        """Make the user and mail them the one-time password and where to sign in."""
        email, role = _email(email), _role(role)
        domain = self.outbound.settings.domain.lower()
        if email.rpartition("@")[2] == domain:
            # SES would deliver it to this desk's receipt rule (it takes the whole domain):
            # the password would become a ticket every agent can read.
            raise InvalidRequest(
                f"{email} is received by this desk, so the invitation would land in the queue as a"
                f" ticket: invite an address outside {domain}, or make the user with"
                " `inbound staff add` (it prints the one-time password)"
            )
        decision = self.outbound.check(email, automatic=False)
        if not decision.allowed:
            raise guard.refusal(decision, email)
        password = one_time_password()
        if not self.directory.create(email, password, role):
            raise StaffConflict(f"{email} is already on the staff")
        try:
            self._mail(email, password, console_url)
        except Exception:
            self.directory.delete(email)  # nothing reached them: the invitation can be made again
            raise
        self.roster.set_disabled(email, False)  # a former colleague's roster entry, invited back
        self.roster.set_role(email, role)  # and the role it recorded
        return self._member(email)

    def set_enabled(self, email: str, enabled: bool) -> dict[str, Any]:
        email = _email(email)
        if not enabled:
            with self._keeping_an_admin(email, "disable"):
                self.directory.set_enabled(email, enabled)
        else:
            self._member(email)  # Cognito's UserNotFoundException would be a 500
            self.directory.set_enabled(email, enabled)
        self.roster.set_disabled(email, not enabled)
        return self._member(email)

    def remove(self, email: str) -> None:
        email = _email(email)
        with self._keeping_an_admin(email, "remove"):
            self.directory.delete(email)
        self.roster.set_disabled(email, True)  # leaves the assign picker; tickets keep the name

    def set_role(self, email: str, role: str) -> dict[str, Any]:
        email, role = _email(email), _role(role)
        if role != ADMIN:
            with self._keeping_an_admin(email, "make agent"):
                self.directory.set_role(email, role)
                # After Cognito, so a crash between leaves the last-admin count (Cognito's)
                # no higher than who can act as admin; their token's admin ends here at once.
                self.roster.set_role(email, role)
        else:
            self._member(email)  # Cognito's UserNotFoundException would be a 500
            self.directory.set_role(email, role)
            self.roster.set_role(email, role)  # from their next token (the groups are in it)
        return self._member(email)

    def _member(self, email: str) -> dict[str, Any]:
        found = [m for m in self.directory.members() if m["email"] == email]
        if not found:
            raise InvalidRequest(f"{email} is not on the staff")
        return found[0]

    @contextmanager
    def _keeping_an_admin(self, email: str, what: str) -> Iterator[None]:
        """The last-admin check and the write it allows, under the staff guard: two admins
        demoting (or disabling) each other at once each saw the other still admin, and both
        went ahead. Cognito writes a role by adding the new group before leaving the old one
        (adapters/cognito_staff.set_role), so a crash half way leaves an admin too many, never
        one too few; a crash under the guard holds it until its lease ends."""
        holder = secrets.token_hex(8)
        for _ in range(GUARD_ATTEMPTS):
            if self.guard.acquire(holder, int(self.outbound.ports.clock().timestamp()), GUARD_LEASE_SECONDS):
                break
            self._sleep(GUARD_WAIT_SECONDS)
        else:
            raise StaffConflict("another change to the staff's admins is under way: try again in a minute")
        try:
            members = self.directory.members()
            if not any(m["email"] == email for m in members):
                raise InvalidRequest(f"{email} is not on the staff")
            refusal = last_admin_refusal(members, email, what)
            if refusal:
                raise StaffConflict(refusal)
            yield
        finally:
            self.guard.release(holder)

    def _mail(self, email: str, password: str, console_url: str) -> None:
        settings = self.outbound.settings
        mailbox = next(iter(settings.mailboxes.values()), "support")
        now: datetime = self.outbound.ports.clock()
        text = (
            f"Hello,\n\nyou are invited to the support console:\n\n  {console_url}\n\n"
            f"Sign in as {email} with this one-time password, then choose your own:\n\n"
            f"  {password}\n\nIt expires in a few days; ask your admin for a new invitation then.\n"
        )
        outgoing = om.OutgoingMail(
            ticket_id="",
            from_address=sending.mailbox_address(settings, mailbox),
            from_name=sending.team_name(mailbox),
            to=(email,),
            subject="Your invitation to the support console",
            text=text,
            message_id=om.new_message_id(settings.domain),
            date=now,
        )
        ses_id = sending.hand_over(settings, self.outbound.ports, outgoing)
        aliases = (f"<{ses_id}@email.amazonses.com>", f"<{ses_id}@{settings.region}.amazonses.com>")
        # In the send ledger like every mail we send: a bounce of it counts for this address.
        self.outbound.ports.send_ledger.record_sent(
            outgoing.recipients, (outgoing.message_id, *aliases), iso_millis(now), int(now.timestamp())
        )


def _role(value: str) -> str:
    if value not in ROLES:
        raise InvalidRequest(f"role must be admin or agent, not {value!r}")
    return value
