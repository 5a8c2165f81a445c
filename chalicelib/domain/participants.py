"""A ticket's participants: who besides the requester takes part, and whom a reply reaches.

Participants are added only from authenticated mail (sender_trust, SECURITY.md) of the
requester or of a participant: the Reply-To, Cc and To addresses that mail names, at most
MAX_PARTICIPANTS per ticket. Staff add and remove them by hand. A staff reply goes to the
requester and copies the participants the outbound guard allows, within SES's limit on
recipients per message, and says whom it left out instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ParsedMail
from chalicelib.domain.notes import Note, note

MAX_PARTICIPANTS = 10  # besides the requester
# SendRawEmail refuses a message with more than 50 recipients (To, Cc and Bcc together).
SES_MAX_RECIPIENTS = 50


def offered(mail: ParsedMail, own: Callable[[str], bool]) -> tuple[str, ...]:
    """The addresses a mail asks to bring in: its Reply-To, Cc and the other To addresses
    (a co-recipient in To takes part as one in Cc does), none of our own."""
    people = (a.email for a in mail.reply_to + mail.cc + mail.to)
    return tuple(dict.fromkeys(p for p in people if p and not own(p)))


@frozen
class Admission:
    added: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()  # over MAX_PARTICIPANTS

    def note(self) -> Note:
        """Whom the ticket had no room for ("" text: everyone offered was added)."""
        if not self.refused:
            return Note(text="")
        named = ", ".join(self.refused[:5])
        more = len(self.refused) - 5
        if more > 0:
            return note(
                "participants_full_more",
                f"not added as participants (a ticket has at most {MAX_PARTICIPANTS}): {named} and {more} more",
                limit=str(MAX_PARTICIPANTS),
                addresses=named,
                more=str(more),
            )
        return note(
            "participants_full",
            f"not added as participants (a ticket has at most {MAX_PARTICIPANTS}): {named}",
            limit=str(MAX_PARTICIPANTS),
            addresses=named,
        )


# Why a mail's Cc, To and Reply-To were not added (SECURITY.md: only authenticated mail of
# the requester or a participant brings people in). On every mail from an unauthenticated
# sender that names anyone: the console says it in the agent's language by its code.
UNAUTHENTICATED = note(
    "participants_unauthenticated", "Cc, To and Reply-To not added: the sender is not authenticated"
)


def not_a_participant(sender: str) -> Note:
    return note(
        "participants_not_participant",
        f"Cc, To and Reply-To not added: {sender} is not a participant",
        sender=sender,
    )


def admit(requester: str, current: Iterable[str], candidates: Iterable[str]) -> Admission:
    """Which `candidates` join a ticket that has `requester` and participants `current`."""
    present = {requester, *current}
    room = max(MAX_PARTICIPANTS - len(present - {requester}), 0)
    new = [c for c in dict.fromkeys(candidates) if c and c not in present]
    return Admission(added=tuple(new[:room]), refused=tuple(new[room:]))


@frozen
class Recipients:
    """Whom a staff reply goes to, and one line per participant it leaves out."""

    to: tuple[str, ...]
    cc: tuple[str, ...]
    left_out: tuple[str, ...] = ()


def reply_recipients(requester: str, copied: Iterable[str], refusal: Callable[[str], str]) -> Recipients:
    """The requester, and the participants `refusal` has nothing against, within SES's limit.

    `refusal(address)` is the guard's reason to leave an address out ("" to send); it is
    asked only while there is room, so a long list costs no look-ups past the limit.
    """
    cc: list[str] = []
    left_out: list[str] = []
    for address in dict.fromkeys(copied):
        if address == requester:
            continue
        if len(cc) + 1 >= SES_MAX_RECIPIENTS:
            left_out.append(f"not sent to {address}: over SES's limit of {SES_MAX_RECIPIENTS} recipients")
            continue
        why = refusal(address)
        if why:
            left_out.append(f"not sent to {address}: {why}")
        else:
            cc.append(address)
    return Recipients(to=(requester,), cc=tuple(cc), left_out=tuple(left_out))
