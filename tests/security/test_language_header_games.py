"""Attack: header games on the language headers. The acknowledgement's words follow the mail's
Content-Language, the unsubscribe pages' the browser's Accept-Language (domain/customer_language.py).
A sender writes Content-Language as raw bytes: folded, twice, with a NUL, 8-bit bytes, an encoded
word, kilobytes of it, `*`, a region (`de-CH`), weights that belong to Accept-Language. None of it
may fail the ingest, and the acknowledgement must stay one of our two fixed texts, quoting
nothing of the header. (Tried: none of these worked; kept as the regression.)"""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.customer_language import Language, from_accept_language, from_content_language
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

SUBJECTS = {
    "de": "Ihre Anfrage ist bei uns eingegangen [{}]",
    "en": "We received your request [{}]",
}
GAMES = {
    "folded": (b"Content-Language: fr,\r\n de\r\n", "de"),
    "folded marker": (b"Content-Language: de,\r\n\tzz-MARKER\r\n", None),
    "twice": (b"Content-Language: de\r\nContent-Language: en\r\n", None),
    "NUL": (b"Content-Language: de\x00MARKER\r\n", "en"),
    "8-bit": (b"Content-Language: d\xe9, MARKER\r\n", "en"),
    "encoded NUL": (b"Content-Language: =?utf-8?q?de=00MARKER?=\r\n", "en"),
    "encoded German": (b"Content-Language: =?utf-8?b?ZGU=?=\r\n", None),
    "64 KB": (b"Content-Language: de," + b" MARKER," * 8000 + b" en\r\n", "en"),
    "star": (b"Content-Language: *\r\n", "en"),
    "region": (b"Content-Language: de-CH\r\n", "de"),
    "mixed case": (b"Content-Language: DE-ch\r\n", "de"),
    "q-value": (b"Content-Language: de;q=1\r\n", "en"),
    "many": (b"Content-Language: " + b"fr, it, " * 20 + b"de\r\n", "de"),
    "parameter continuation": (b"Content-Language*0: de\r\n", "en"),
}


@pytest.mark.parametrize(("header", "expected"), GAMES.values(), ids=GAMES.keys())
def test_a_games_content_language_is_filed_and_answered_in_one_of_our_fixed_texts(header, expected):
    """GIVEN an English desk and a mail with a hostile Content-Language WHEN it is ingested THEN
    a ticket and one acknowledgement in German or English (the expected one where the header
    is a plain list of tags, else English), the header's words nowhere in it."""
    svc = mail_out(default_language=Language.EN)
    outcome = deliver_via(svc, header + make_mail(subject="Drucker"))

    assert outcome.outcome == "created"
    [sent] = svc.sender.sent
    ack = message_from_bytes(sent.raw, policy=policy.default)
    language = str(ack["Content-Language"])
    assert language in SUBJECTS and (expected is None or language == expected)
    assert ack["Subject"] == SUBJECTS[language].format(outcome.ticket)
    assert b"MARKER" not in sent.raw and ack["Bcc"] is None
    assert sent.destinations == ("alice@customer.org",)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.sampled_from(list(Language)))
def test_any_header_value_chooses_one_of_our_languages_and_never_raises(value, default):
    assert from_content_language(value, default) in Language
    assert from_accept_language(value, default) in Language
