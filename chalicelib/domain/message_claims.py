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

Two more kinds of mail claim themselves the same way, with keys no Message-ID can take (those
are enclosed in <>). A mail without a Message-ID, filed on a ticket or on none, claims its
content (`content_claim`: what it covers, and why that never merges two mails, is said
there). A mail about to be quarantined claims its bytes under the reason (`quarantine_claim`),
so a copy of a refused mail is a duplicate and not a second quarantine entry. In every case
the claim is made before anything else is written, and the delivery that made it passes it
again: a run stopped after its claim is finished by its retry (or, having failed every try,
by the re-drive of quarantine/failed/, under the same SES message id), never turned into a
duplicate of itself. A copy that arrives meanwhile is the claiming delivery's duplicate.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import field
from enum import StrEnum

from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ParsedMail, Verdicts
from chalicelib.domain.notes import Note, note


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


def claim_of(
    mail: ParsedMail, sender: str, authenticated: bool, automatic: bool = False, tagged_address: str = ""
) -> MessageIdClaim:
    """The fingerprint of `mail` from `sender` (its address as filed) and the policy's verdict;
    `automatic`: classified as automatic mail (RFC 3834's Auto-Submitted, Precedence: bulk, ...);
    `tagged_address`: the plus-tagged address (a ticket's reply address) SES delivered it to.
    One header makes a mail automatic, and an automatic mail is suspended or filed as an
    auto-reply that alerts nobody: a copy of a customer's words marked automatic, sent first,
    made the customer's own mail its "duplicate" (tests/security/test_automatic_copy_preemption.py).
    The envelope recipient is the sender's to choose: a copy of a reply delivered first to the
    plain address (a ticket of its own) made the reply delivered to its ticket's reply address,
    the one way an unauthenticated customer's reply threads, its "duplicate"
    (tests/security/test_reply_address_copy_preemption.py). Only a fingerprint these change
    reads them, so other mail keeps the fingerprint it had."""
    digest = hashlib.sha256()
    # The files' bytes too, not only their sizes: a copy with another file of the same name
    # and size (mallory's bank details in alice's invoice) is another mail, not a duplicate.
    files = "\n".join(f"{a.filename}\t{a.content_type}\t{a.size}\t{a.sha256}" for a in mail.attachments)
    for part in ("1" if authenticated else "0", sender.lower(), mail.subject, mail.text, mail.html, files):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    if automatic:
        digest.update(b"automatic\0")
    if tagged_address:
        digest.update(b"to\0" + tagged_address.lower().encode("utf-8", "surrogatepass") + b"\0")
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
    """What `mail` (fingerprinted as `claim`) claims in `mailbox`: its Message-ID, else its
    content (`content_claim`); None when neither can tell a copy from another mail, and only
    its SES message id can. `facts`: what else it says that the fingerprint does not read (a
    report's recipients and the messages it returns are in parts that are neither body nor
    file), so that two reports differ when those do."""
    if not mail.message_id:
        return content_claim(mailbox, mail, claim, facts)
    if not claim.fingerprint:
        return None
    return UnfiledClaim(mailbox, mail.message_id, _with_facts(claim.fingerprint, facts))


def _with_facts(fingerprint: str, facts: tuple[str, ...]) -> str:
    if not facts:
        return fingerprint
    digest = hashlib.sha256(fingerprint.encode("ascii"))
    for fact in facts:
        digest.update(b"\0" + fact.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


# The key under which a mail without a Message-ID claims its content (never a Message-ID:
# those are enclosed in <>, RFC 5322 section 3.6.4).
NO_MESSAGE_ID = "no-message-id/"


def content_claim(
    mailbox: str, mail: ParsedMail, claim: MessageIdClaim, facts: tuple[str, ...] = ()
) -> UnfiledClaim | None:
    """The claim of a mail without a Message-ID (RFC 5322 section 3.6.4: a sender SHOULD
    write one, nothing makes it): its content, so that the same bytes handed to SES again
    (a sender's server retrying after a lost `250`, under a new SES message id) are its
    duplicate, whether it is filed on a ticket or on none.

    What it covers: `claim` (the From mailbox as filed, whether the sender-trust policy
    authenticated it, subject, text and HTML bodies, each file's name, type, size and
    sha256), and the Date, To, Cc, In-Reply-To and References the sender wrote. A retry
    carries all of them unchanged; two mails a person or a program sends differ in one at
    least, the Date above all (to the second: the same words sent again later are another
    mail). Without a Date (RFC 5322 makes it required, some senders still omit it) nothing
    tells the same words sent twice from one mail delivered twice: None, and the mail is
    recognised by its SES message id only (two tickets, never a lost mail)."""
    date = mail.header("date").strip()
    if not date or not claim.fingerprint:
        return None
    written = (
        date,
        ",".join(a.email.lower() for a in mail.to),
        ",".join(a.email.lower() for a in mail.cc),
        " ".join(mail.in_reply_to),
        " ".join(mail.references),
    )
    fingerprint = _with_facts(_with_facts(claim.fingerprint, written), facts)
    return UnfiledClaim(mailbox, NO_MESSAGE_ID + fingerprint, fingerprint)


# The headers SES prepends to every delivery it stores (domain/verdicts.py): their values
# name the delivery (its SES message id, its time, the address that connected), not the mail.
_SES_TRACE = ("return-path", "received", "received-spf", "authentication-results")
QUARANTINE = "quarantine/"
_VISIBLE = re.compile(rb"\S")


def quarantine_claim(
    reason: str, raw: bytes, recipients: tuple[str, ...], verdicts: Verdicts | None = None
) -> UnfiledClaim | None:
    """The claim of a mail quarantined for `reason`, made before it is: the first delivery
    to claim it is quarantined, another delivery of it (SES's own retry or a sender's, under
    a new SES message id) is its duplicate. Such a mail may have no header anyone can read,
    so its fingerprint is its bytes: all that follow the block of trace headers SES
    prepended, with the envelope sender SES wrote in Return-Path and the recipients it was
    delivered to. `reason` is part of the key: a copy whose verdicts differ (SES found the
    first one spam, not this one) is judged on its own, never as that quarantine's copy.

    The delivery's SPF, DKIM and DMARC `verdicts` are part of it too: anyone who has a mail's
    bytes (a Cc, a quoted thread) can hand them to SES with its envelope sender from their
    own server, and that replay, quarantined first, made the real delivery its "duplicate",
    so the entry staff could release was the one that cannot authenticate
    (tests/security/test_quarantine_replay.py). A retry from the sender's own server has the
    same verdicts, and stays a duplicate.
    None for a mail that is empty but for SES's headers: nothing tells two of those apart."""
    start, envelope = _after_ses_trace(raw)
    if _VISIBLE.search(raw, start) is None:  # searched in place: no copy of a 40 MB mail
        return None
    seen = verdicts or Verdicts()
    proof = f"spf={seen.spf.value};dkim={seen.dkim.value};dmarc={seen.dmarc.value}".encode("ascii")
    digest = hashlib.sha256(reason.encode("ascii", "replace") + b"\0" + envelope + b"\0" + proof + b"\0")
    digest.update(",".join(sorted(r.lower() for r in recipients)).encode("utf-8", "surrogatepass") + b"\0")
    digest.update(memoryview(raw)[start:])  # no copy of a 40 MB mail
    fingerprint = digest.hexdigest()[:32]
    return UnfiledClaim("", f"{QUARANTINE}{reason}/{fingerprint}", fingerprint)


def _after_ses_trace(raw: bytes) -> tuple[int, bytes]:
    """Where the bytes after SES's leading trace headers start, and the Return-Path values."""
    position, envelope, tracing = 0, b"", False
    while position < len(raw):
        end = raw.find(b"\n", position)
        end = len(raw) if end < 0 else end + 1
        line = raw[position:end]
        if line[:1] in (b" ", b"\t") and tracing:  # a folded trace header goes on
            position = end
            continue
        name, colon, value = line.partition(b":")
        name = name.strip().lower()
        tracing = bool(colon) and (name.decode("latin-1") in _SES_TRACE or name.startswith(b"x-ses-"))
        if not tracing:
            break
        if name == b"return-path":
            envelope += value.strip() + b"\0"
        position = end
    return position, envelope


def copy_reason(claim: UnfiledClaim, first: str, ticket: str = "") -> str:
    """What staff and `inbound process` read on a delivery found to be a copy of `first`'s."""
    if claim.message_id.startswith(QUARANTINE):
        reason = claim.message_id[len(QUARANTINE) :].partition("/")[0]
        return f"the same mail (the same bytes) is delivery {first}, quarantined as {reason}"
    where = f"on {ticket}" if ticket else "filed on no ticket"
    if claim.message_id.startswith(NO_MESSAGE_ID):
        return (
            f"the same mail (no Message-ID, the same content) is delivery {first} in mailbox {claim.mailbox}"
            + (f", {where}" if ticket else "")
        )
    return f"the same mail (Message-ID {claim.message_id}) is delivery {first} in mailbox {claim.mailbox}, {where}"


def judge(stored: MessageIdClaim, mine: MessageIdClaim) -> Reuse:
    """What a mail whose Message-ID the index holds for `stored` is."""
    if not stored.fingerprint or stored.fingerprint == mine.fingerprint:
        return Reuse.DUPLICATE
    if mine.authenticated and not stored.authenticated and _sender_part(stored) == _sender_part(mine) != "":
        return Reuse.TAKE_OVER
    return Reuse.FILE_APART


def reuse_note(message_id: str, ticket_id: str, reuse: Reuse) -> Note:
    """What staff read on a mail filed although the index held its Message-ID."""
    text = (
        f"Message-ID {message_id} was already stored on {ticket_id} by another mail"
        " (another sender, verdict or content): filed as a mail of its own"
    )
    if reuse == Reuse.TAKE_OVER:
        text += "; replies naming it now thread here (this sender is authenticated)"
        return note("message_id_taken_over", text, message_id=message_id, ticket=ticket_id)
    return note("message_id_reused", text, message_id=message_id, ticket=ticket_id)


@frozen
class IndexEntry:
    """How a filed mail's own Message-ID enters the index: with `claim`; not at all when
    `indexed` is False (the id is another mail's); and, with `replaces`, in place of the
    entry holding that claim (only if it still does), else only where the id is new."""

    claim: MessageIdClaim = field(default_factory=MessageIdClaim)
    indexed: bool = True
    replaces: MessageIdClaim | None = None
