"""Notes the pipeline writes on incoming mail, kept with their code.

A note is said in the server's English (`text`, as the message's `reason` always showed
it) and by a stable `code` with the values its sentence names, so the staff console can
say the catalogue's sentence for the code in the agent's language (i18n.js `note.<code>`).
A note with no code (the classifier's reason, a message-id reuse) is shown as written.
"""

from __future__ import annotations

from chalicelib.domain.frozen import frozen

# Every code a note is written with, and the names of the values its sentence says
# (the console's catalogues have `note.<code>` with these placeholders: a unit test holds them).
CODES: dict[str, tuple[str, ...]] = {
    "participants_unauthenticated": (),
    "participants_not_participant": ("sender",),
    "participants_full": ("addresses", "limit"),
    "participants_full_more": ("addresses", "limit", "more"),
    # domain/correlation.py: why a mail joined no ticket, or not the one it claimed
    "closed": ("ticket",),
    "dmarc_failed": (),
    "from_mailboxes": ("mailboxes",),
    "token_invalid": ("ticket",),
    "token_other_mailbox": ("ticket",),
    "references_unauthenticated": ("ticket", "trust"),
    "references_not_participant": ("sender", "ticket"),
    "subject_unauthenticated": ("ticket", "trust"),
    "subject_not_participant": ("sender", "ticket"),
    "subject_other_mailbox": ("ticket",),
    # domain/message_claims.py: a Message-ID another mail holds
    "message_id_reused": ("message_id", "ticket"),
    "message_id_taken_over": ("message_id", "ticket"),
    # domain/classify.py: why a mail was taken for automatic (a header quoted as it came has no code)
    "mailing_list": ("header",),
    "out_of_office_subject": ("label",),
    "delivery_system_sender": ("sender",),
    # services/suspended_mail.py: a suspended mail staff filed into a ticket
    "released": (),
}


@frozen
class Note:
    text: str
    code: str = ""
    values: tuple[tuple[str, str], ...] = ()


def note(code: str, text: str, **values: str) -> Note:
    """A coded note; its values sorted by name (the order a store reads them back in)."""
    if tuple(sorted(values)) != CODES[code]:
        raise ValueError(f"note {code} names {sorted(values)}, not {CODES[code]}")
    return Note(text=text, code=code, values=tuple(sorted(values.items())))


def plain(text: str) -> Note:
    """A note without a code: shown as written in every language."""
    return Note(text=text)


def joined(notes: tuple[Note, ...]) -> str:
    """The notes' English text, as the message's `reason` holds it."""
    return "; ".join(n.text for n in notes if n.text)
