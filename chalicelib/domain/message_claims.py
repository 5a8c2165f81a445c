"""Whose a Message-ID is: when a received mail is a duplicate, and when another mail merely
claims its Message-ID.

A Message-ID is a claim like any header (RFC 5322 section 3.6.4 asks senders to make it
unique; nothing enforces it). Anyone who learns one, from a Cc or a quoted thread, can send
a mail carrying it before SES delivers the real one. Had the Message-ID index taken the
first mail's word for it, the real mail would be archived as that mail's "duplicate" and
never reach the desk. So each index entry keeps a fingerprint of the mail that stored it:
who sent it (the From mailbox, and whether the sender-trust policy authenticated it) and
what it says (subject, bodies, the files' names, types and bytes). Only the same mail again
(a sender's server delivering twice, a forwarder's copy) is a duplicate; any other mail with
that Message-ID is filed, with a note, and its Message-ID is not indexed for it, unless it is
authenticated as the sender the entry's mail claimed to be and that mail was not: then the
proven sender's mail takes the entry, so replies naming that Message-ID thread where the real
mail is. Authenticated as anyone else proves nothing about that Message-ID: mallory, proven
as mallory, would otherwise take an unauthenticated customer's entry, and a colleague's
reply-all to the customer's mail (whom mallory had copied, and so made her participant)
threaded onto mallory's ticket. A fingerprint is `<content>.<sender>`: 32 hex digits of the
whole mail, then 16 of the sender alone, so the sender can be compared without the content;
one without the sender part (stored before) is taken over by no one.

A mail filed on no ticket (an auto-reply that threads nowhere and is suspended for review, a
bounce report that arrives as mail) has no index entry: nothing may thread by it. It was
recognised again by its SES message id only, and SES gives every delivery its own, so the
same mail arriving twice (a sender's retry, a replay, or the local stack handing a mail back
again after a kill -9 between its `250` and the removal of its file) was suspended or recorded
twice. Such a mail claims its Message-ID and fingerprint instead (`UnfiledClaim`), before
anything is written for it: the first delivery to claim them files it, and any other delivery
of the same mail is a duplicate. Another mail that merely carries the Message-ID has another
fingerprint, so it makes its own claim and is filed as usual. A copy filed on a ticket after
a first copy was suspended (its ticket reopened between the two) reads the index, not the
claim, and is filed: a second message, never a lost one; a copy suspended after one filed on
a ticket is that entry's duplicate.
"""

from __future__ import annotations

import hashlib
from dataclasses import field
from enum import StrEnum

from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ParsedMail


@frozen
class MessageIdClaim:
    """What an index entry knows of the mail that stored it. `fingerprint` "": an entry written
    before fingerprints were (or the Message-ID of a message we sent), taken at its word."""

    fingerprint: str = ""
    authenticated: bool = False


class Reuse(StrEnum):
    DUPLICATE = "duplicate"  # the same mail again: archived, nothing filed
    FILE_APART = "file_apart"  # another mail: filed, its Message-ID left to the entry's mail
    TAKE_OVER = "take_over"  # its sender proven where the entry's mail was not: filed, indexed


def claim_of(mail: ParsedMail, sender: str, authenticated: bool) -> MessageIdClaim:
    """The fingerprint of `mail` from `sender` (its address as filed) and the policy's verdict."""
    digest = hashlib.sha256()
    # The files' bytes too, not only their sizes: a copy with another file of the same name
    # and size (mallory's bank details in alice's invoice) is another mail, not a duplicate.
    files = "\n".join(f"{a.filename}\t{a.content_type}\t{a.size}\t{a.sha256}" for a in mail.attachments)
    for part in ("1" if authenticated else "0", sender.lower(), mail.subject, mail.text, mail.html, files):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    who = hashlib.sha256(b"sender\0" + sender.lower().encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return MessageIdClaim(f"{digest.hexdigest()[:32]}.{who}", authenticated)


def _sender_part(claim: MessageIdClaim) -> str:
    return claim.fingerprint.partition(".")[2]


@frozen
class UnfiledClaim:
    """The claim of a mail filed on no ticket: its mailbox, its Message-ID and its fingerprint."""

    mailbox: str
    message_id: str
    fingerprint: str


def unfiled_claim(
    mailbox: str, mail: ParsedMail, claim: MessageIdClaim, facts: tuple[str, ...] = ()
) -> UnfiledClaim | None:
    """What `mail` (fingerprinted as `claim`) claims in `mailbox`; None without a Message-ID,
    when only its SES message id can tell a copy. `facts`: what else it says that the
    fingerprint does not read (a report's recipients and the messages it returns are in
    parts that are neither body nor file), so that two reports differ when those do."""
    if not mail.message_id or not claim.fingerprint:
        return None
    fingerprint = claim.fingerprint
    if facts:
        digest = hashlib.sha256(fingerprint.encode("ascii"))
        for fact in facts:
            digest.update(b"\0" + fact.encode("utf-8", "surrogatepass"))
        fingerprint = digest.hexdigest()[:32]
    return UnfiledClaim(mailbox, mail.message_id, fingerprint)


def judge(stored: MessageIdClaim, mine: MessageIdClaim) -> Reuse:
    """What a mail whose Message-ID the index holds for `stored` is."""
    if not stored.fingerprint or stored.fingerprint == mine.fingerprint:
        return Reuse.DUPLICATE
    if mine.authenticated and not stored.authenticated and _sender_part(stored) == _sender_part(mine) != "":
        return Reuse.TAKE_OVER
    return Reuse.FILE_APART


def reuse_note(message_id: str, ticket_id: str, reuse: Reuse) -> str:
    """What staff read on a mail filed although the index held its Message-ID."""
    note = (
        f"Message-ID {message_id} was already stored on {ticket_id} by another mail"
        " (another sender, verdict or content): filed as a mail of its own"
    )
    if reuse == Reuse.TAKE_OVER:
        return note + "; replies naming it now thread here (this sender is authenticated)"
    return note


@frozen
class IndexEntry:
    """How a filed mail's own Message-ID enters the index: with `claim`; not at all when
    `indexed` is False (the id is another mail's); and, with `replaces`, in place of the
    entry holding that claim (only if it still does), else only where the id is new."""

    claim: MessageIdClaim = field(default_factory=MessageIdClaim)
    indexed: bool = True
    replaces: MessageIdClaim | None = None
