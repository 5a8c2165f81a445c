"""Bounce and complaint reports that arrive as mail: whom they may put on the suppression list.

Standard library only. Anyone can write a DSN (RFC 3464) or an ARF report (RFC 5965)
naming anyone, and "an address we have mailed" is no defence: an attacker spoofs one
mail From: the victim, we acknowledge it, and then her address is one we sent to. What
an attacker cannot know is the Message-ID of a message we sent to someone else. So a
report counts for a named address only when it names (in its returned headers,
In-Reply-To or References) a Message-ID of a message we sent to that very address in
the last 30 days (the outbound guard records each sent message under every id it may
travel with, SES's included), and only when that message went to that address
alone: a staff reply copied to participants is in every participant's mailbox, so its
Message-ID proves nothing about any one of its recipients (a participant could name the
requester). Everyone else it names is *unverified*: recorded with the report, never
suppressed. SES's own feedback events (record_feedback) are not
reports by mail and are trusted as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.domain.frozen import frozen


@frozen
class ReportCheck:
    """Which named addresses a mailed report may act on, and why the others may not."""

    verified: tuple[str, ...]
    unverified: tuple[str, ...]
    note: str  # for staff: "" when every named address was verified

    @property
    def summary(self) -> str:
        """One line for the delivery record and the ticket."""
        if not self.unverified:
            return ""
        who = ", ".join(self.unverified[:5]) + (" ..." if len(self.unverified) > 5 else "")
        return f"unverified report for {who}: {self.note}; nobody suppressed for it"


def check_report(
    named: Sequence[str], referenced: Sequence[str], sent: Mapping[str, frozenset[str]]
) -> ReportCheck:
    """Split the `named` addresses by whether a `referenced` id is a message we `sent` them.

    `sent` maps the referenced ids that are ours to the recipients of that message. Only
    a message with one recipient vouches for it (see the module docstring).
    """
    named_ours = [sent[m] for m in referenced if m in sent]
    ours = frozenset().union(*(to for to in named_ours if len(to) == 1))
    verified = tuple(a for a in named if a in ours)
    unverified = tuple(a for a in named if a not in ours)
    if not unverified:
        note = ""
    elif not referenced:
        note = "it names no Message-ID of the mail it reports on"
    elif not named_ours:
        note = "it names no message we sent in the last 30 days"
    elif any(a in to for a in unverified for to in named_ours):
        note = (
            "the message of ours it names went to more than one recipient, any of whom could have written it"
        )
    else:
        note = "the message of ours it names was not sent to that address"
    return ReportCheck(verified, unverified, note)
