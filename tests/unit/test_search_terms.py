"""The search tokeniser: a query finds what the index spelled, in German, Japanese,
addresses and ticket ids alike."""

from __future__ import annotations

from chalicelib.domain.search_terms import (
    MAX_QUERY_TERMS,
    MAX_TERMS_PER_MESSAGE,
    MessageText,
    message_terms,
    query_terms,
)


def indexed(subject: str = "", text: str = "", sender: str = "", name: str = "", files=()) -> set[str]:
    return set(message_terms(MessageText("T-1042", sender, name, subject, text, tuple(files))))


def finds(query: str, **message) -> bool:
    wanted = query_terms(query)
    return bool(wanted) and set(wanted) <= indexed(**message)


def test_german_umlauts_and_sharp_s_fold_both_ways():
    text = "Bitte prüfen Sie die Rückerstattung an die Straße"
    for query in ("Rückerstattung", "Rueckerstattung", "RUCKERSTATTUNG", "strasse", "Straße", "PRÜFEN"):
        assert finds(query, text=text), query


def test_german_compounds_match_by_whole_word_only():
    text = "Die Rechnungsadresse ist falsch"
    assert finds("Rechnungsadresse", text=text)
    assert not finds("Rechnung", text=text)


def test_japanese_without_spaces_is_found_by_any_word_of_it():
    text = "請求書が届きません。至急ご確認ください"
    for query in ("請求書", "届き", "確認", "請求書 確認"):
        assert finds(query, text=text), query
    assert not finds("領収書", text=text)


def test_chinese_and_a_single_han_character():
    assert finds("退款", text="我想申请退款")
    assert finds("款", text="款")


def test_an_address_finds_by_whole_address_and_by_domain():
    sender = "Anna.Berg@mail.Kunde.de"
    for query in (
        "anna.berg@mail.kunde.de",
        "@kunde.de",
        "kunde.de",
        "mail.kunde.de",
        "ANNA.BERG@MAIL.KUNDE.DE",
    ):
        assert finds(query, sender=sender), query
    assert not finds("berg@mail.kunde.de", sender=sender)
    assert not finds("@kunde.com", sender=sender)


def test_ticket_ids_in_any_case_and_with_leading_zeros():
    terms = indexed()
    assert "t-1042" in terms
    assert query_terms("T-1042") == ("t-1042",)
    assert query_terms("t-01042") == ("t-1042",)
    assert finds("T-1000", subject="Re: [T-1000] printer")


def test_attachment_names_whole_and_by_their_words():
    files = ["Rechnung März 2026.pdf"]
    for query in ("März 2026.pdf", "Rechnung", "marz", "2026.pdf"):
        assert finds(query, files=files), query


def test_display_name_words_are_terms():
    assert finds("Berg", name="Anna Berg")


def test_stop_words_and_punctuation_are_not_a_query():
    assert query_terms("the and, für") == ()
    assert query_terms("   ") == ()


def test_terms_are_bounded_per_message_and_per_query_with_the_telling_ones_first():
    text = " ".join(f"word{n}" for n in range(500))
    terms = message_terms(MessageText("T-1042", "anna@kunde.de", "", "Refund", text))
    assert len(terms) == MAX_TERMS_PER_MESSAGE
    assert terms[:4] == ("t-1042", "anna@kunde.de", "kunde.de", "refund")
    assert len(query_terms(text)) == MAX_QUERY_TERMS


def test_a_long_word_is_cut_alike_on_both_sides():
    word = "Donaudampfschifffahrtsgesellschaftskapitänsmütze" * 3
    assert finds(word, text=word)
    assert all(len(t) <= 200 for t in indexed(text=word * 10))


def test_a_word_after_a_200_kb_run_without_spaces_is_still_found():
    # The address and dotted-name patterns backtrack over a run without white space;
    # only its first characters are read, so a hostile Subject costs no more than a word.
    hostile = "A" * 200_000 + "@" + "b" * 100
    assert finds("refund", subject=f"{hostile} refund {hostile}.x")


def test_an_address_typed_with_its_unicode_domain_finds_the_punycode_one_stored():
    # Senders are stored with the domain in IDNA A-labels (domain/mail.canonical_address);
    # an agent types the domain as the customer wrote it.
    sender = "kunde@xn--bcher-kva.de"
    for query in ("kunde@bücher.de", "Kunde@Bücher.DE", "@bücher.de", "kunde@xn--bcher-kva.de"):
        assert finds(query, sender=sender), query
    assert finds("kunde@bücher.de", text="Schreiben Sie an kunde@bücher.de")
    assert not finds("kunde@bucher.de", sender=sender)
