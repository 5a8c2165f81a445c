"""Why a mail's Cc, To and Reply-To were not added, kept by code (domain/participants.py,
domain/notes.py): the console says the code's sentence in the agent's language, the
English text stays beside it for messages and logs."""

from __future__ import annotations

import pytest

from chalicelib.domain import participants
from chalicelib.domain.notes import joined, note, plain


def test_an_unauthenticated_sender_note_carries_its_code_beside_the_english():
    got = participants.UNAUTHENTICATED
    assert (got.code, got.values) == ("participants_unauthenticated", ())
    assert got.text == "Cc, To and Reply-To not added: the sender is not authenticated"


def test_a_stranger_note_names_the_sender_among_its_values():
    got = participants.not_a_participant("eve@else.org")
    assert (got.code, got.values) == ("participants_not_participant", (("sender", "eve@else.org"),))
    assert got.text == "Cc, To and Reply-To not added: eve@else.org is not a participant"


def test_a_full_ticket_names_whom_it_had_no_room_for_and_how_many_more():
    few = participants.admit("a@x.org", [f"p{n}@x.org" for n in range(9)], ["n1@x.org", "n2@x.org"]).note()
    assert few.code == "participants_full"
    assert dict(few.values) == {"addresses": "n2@x.org", "limit": "10"}
    many = participants.admit("a@x.org", [], [f"n{n}@x.org" for n in range(17)]).note()
    assert many.code == "participants_full_more" and dict(many.values)["more"] == "2"
    assert many.text.endswith("n14@x.org and 2 more")
    assert participants.admit("a@x.org", [], ["b@x.org"]).note().text == ""


def test_a_note_names_exactly_the_values_its_code_says():
    with pytest.raises(ValueError):
        note("participants_not_participant", "x")


def test_the_reason_line_joins_the_notes_english_text():
    assert joined((plain("auto-reply"), plain(""), participants.UNAUTHENTICATED)) == (
        "auto-reply; Cc, To and Reply-To not added: the sender is not authenticated"
    )


def test_a_reused_message_id_note_names_the_id_and_the_ticket_holding_it():
    from chalicelib.domain.message_claims import Reuse, reuse_note

    own = reuse_note("<a@x.org>", "T-7", Reuse.FILE_APART)
    taken = reuse_note("<a@x.org>", "T-7", Reuse.TAKE_OVER)
    assert (own.code, dict(own.values)) == ("message_id_reused", {"message_id": "<a@x.org>", "ticket": "T-7"})
    assert taken.code == "message_id_taken_over" and taken.text.startswith(own.text + "; replies")
