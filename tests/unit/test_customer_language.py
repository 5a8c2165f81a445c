"""The customer's language: a header only chooses among our fixed texts, and anything that is
not a plain list of language tags chooses the desk's default."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from chalicelib.domain import customer_texts
from chalicelib.domain import outbound_mail as om
from chalicelib.domain.customer_language import (
    Language,
    from_accept_language,
    from_content_language,
    setting_language,
)
from chalicelib.settings import Settings

EN, DE = Language.EN, Language.DE


@pytest.mark.parametrize(
    "value, default, expected",
    [
        ("de", EN, DE),
        ("de-DE", EN, DE),
        ("DE-at", EN, DE),
        ("en-US", DE, EN),
        ("en", DE, EN),
        ("fr, de", EN, DE),  # the first of ours in the list
        (" en-GB ,de-DE", DE, EN),
        ("fr-FR", DE, DE),  # none of ours: the default
        ("", DE, DE),
    ],
)
def test_content_language_names_one_of_ours_or_the_default_applies(value, default, expected):
    assert from_content_language(value, default) is expected


@pytest.mark.parametrize(
    "value",
    [
        "de\r\nBcc: victim@else.org",  # a line break (an encoded word can decode to one)
        "de\nX-Injected: 1",
        "de;q=0",  # a parameter: not a language tag
        "de; charset=utf-8",
        "=?utf-8?q?de?=",
        "de" + "-DE" * 200,  # very long
        "de, " * 100,
        "<script>de</script>",
        "deutsch-sprache-bitte",  # subtags over 8 characters
        "de,\u00e4",
        "de,",
        "\x00de",
    ],
)
def test_a_hostile_or_malformed_content_language_falls_back_to_the_default(value):
    assert from_content_language(value, EN) is EN
    assert from_content_language(value.replace("de", "en"), DE) is DE


@pytest.mark.parametrize(
    "value, default, expected",
    [
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", EN, DE),
        ("en-US,en;q=0.9,de;q=0.8", DE, EN),
        ("fr-FR,fr;q=0.9,de;q=0.5", EN, DE),  # the most wanted of ours
        ("en;q=0.5, de;q=0.8", EN, DE),
        ("de;q=0, en;q=0.1", DE, EN),  # q=0: the browser refuses German
        ("de;q=0", EN, EN),
        ("de;q=0.000", EN, EN),
        ("*", DE, DE),
        ("fr", DE, DE),
        ("de;q=2, en;q=0.3", DE, EN),  # a weight out of range: that item is passed over
        ("de;level=1", EN, EN),
        ("de\r\nSet-Cookie: x=1", EN, EN),
        ("de," * 200, EN, EN),
        ("", DE, DE),
    ],
)
def test_accept_language_picks_the_browsers_most_wanted_of_ours(value, default, expected):
    assert from_accept_language(value, default) is expected


def test_the_desk_default_is_english_unless_set_and_a_wrong_value_is_refused_by_name():
    assert Settings().default_language is EN
    assert Settings.from_env({}).default_language is EN
    assert Settings.from_env({"INBOUND_DEFAULT_LANGUAGE": "de-DE"}).default_language is DE
    assert setting_language(" DE ") is DE
    with pytest.raises(ValueError, match="INBOUND_DEFAULT_LANGUAGE='fr' is not a language inbound writes"):
        Settings.from_env({"INBOUND_DEFAULT_LANGUAGE": "fr"})


def test_the_german_acknowledgement_is_in_sie_form_and_quotes_only_our_own_values():
    text = customer_texts.acknowledgement_text("T-42", customer_texts.team_name("support", DE), DE)
    assert text == (
        "Guten Tag,\n\nwir haben Ihre Anfrage T-42 erhalten. Jemand aus unserem Team meldet sich "
        "so bald wie möglich bei Ihnen.\n\nMöchten Sie noch etwas ergänzen? Antworten Sie einfach "
        "auf diese E-Mail und lassen Sie [T-42] im Betreff stehen.\n\nMit freundlichen Grüßen\n"
        "Ihr Support-Team\n"
    )
    assert customer_texts.acknowledgement_subject("T-42", DE) == "Ihre Anfrage ist bei uns eingegangen [T-42]"
    assert customer_texts.acknowledgement_subject("T-42") == "We received your request [T-42]"
    assert customer_texts.team_name("customer-care", DE) == "Customer-Care-Team"
    assert customer_texts.team_name("customer-care") == "Customer Care team"


def test_the_mime_declares_utf8_for_umlauts_and_the_language_it_is_written_in():
    subject = customer_texts.acknowledgement_subject("T-42", DE)
    text = customer_texts.acknowledgement_text("T-42", "Support-Team", DE)
    outgoing = om.OutgoingMail(
        ticket_id="T-42",
        from_address="support@example.com",
        from_name="Support-Team",
        to=("kunde@firma.de",),
        subject=subject,
        text=text,
        message_id="<t-42.1@example.com>",
        language=DE,
    )
    raw = om.build_mime(outgoing)
    raw.decode("ascii")  # 7-bit on the wire: the umlauts are encoded, not raw bytes
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Content-Language"] == "de" and mail["Subject"] == subject
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == text
    assert "Mit freundlichen Grüßen" in html.get_content()
    undeclared = om.build_mime(
        om.OutgoingMail("T-1", "support@example.com", ("a@b.org",), "Hi", "Hi", "<m@x>")
    )
    assert message_from_bytes(undeclared, policy=policy.default)["Content-Language"] is None
