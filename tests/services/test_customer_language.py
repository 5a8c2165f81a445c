"""Customers read us in their language, on fakes: the acknowledgement follows the mail's
Content-Language when it names German or English, else the desk's default language; the
announcements' footer is in the desk's default language."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from chalicelib.domain import announcements as ann
from chalicelib.domain.customer_language import Language
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

GERMAN_SUBJECT = "Ihre Anfrage ist bei uns eingegangen [{}]"
ENGLISH_SUBJECT = "We received your request [{}]"


def _acknowledgement(default: Language, language: str | None = None, subject: str = "Drucker"):
    """The acknowledgement of a mail whose Content-Language is `language` (None: no header)
    on a desk whose default is `default`. The header is written on top of the raw mail:
    EmailMessage.set_content drops Content-* headers set before it."""
    svc = mail_out(default_language=default)
    raw = make_mail(subject=subject)
    if language is not None:
        raw = f"Content-Language: {language}\n".encode() + raw
    outcome = deliver_via(svc, raw)
    [sent] = svc.sender.sent
    return outcome.ticket, message_from_bytes(sent.raw, policy=policy.default), svc


def test_a_german_mail_gets_a_german_acknowledgement_on_an_english_desk():
    ticket, ack, svc = _acknowledgement(Language.EN, "de-DE")

    assert ack["Subject"] == GERMAN_SUBJECT.format(ticket)
    assert ack["Content-Language"] == "de"
    assert str(ack["From"]) == "Support-Team <support@example.com>"
    text = ack.get_body(("plain",)).get_content()
    assert text.startswith("Guten Tag,") and f"Ihre Anfrage {ticket} erhalten" in text
    assert "Drucker" not in text  # nothing the sender wrote
    stored = svc.desk.tickets.messages(ticket)[-1]
    assert (stored.kind, stored.subject) == ("acknowledgement", GERMAN_SUBJECT.format(ticket))


@pytest.mark.parametrize(
    "language", [None, "de", "fr-FR"], ids=["English words, no header", "German mail", "French mail"]
)
def test_a_german_desk_answers_german_when_the_mail_names_no_english(language):
    """The words of the mail (make_mail's are English) choose nothing: only the header does."""
    ticket, ack, _ = _acknowledgement(Language.DE, language)

    assert (ack["Subject"], ack["Content-Language"]) == (GERMAN_SUBJECT.format(ticket), "de")


@pytest.mark.parametrize(
    "language", ["en-US", "de;q=0.1", None], ids=["English mail", "malformed", "no header"]
)
def test_an_english_desk_answers_english_unless_the_mail_says_german(language):
    ticket, ack, _ = _acknowledgement(Language.EN, language)

    assert (ack["Subject"], ack["Content-Language"]) == (ENGLISH_SUBJECT.format(ticket), "en")


def test_content_language_en_on_a_german_desk_gets_english():
    ticket, ack, _ = _acknowledgement(Language.DE, "en")

    assert ack["Subject"] == ENGLISH_SUBJECT.format(ticket) and ack["Content-Language"] == "en"
    assert ack.get_body(("plain",)).get_content().startswith("Hello,")
    assert str(ack["From"]) == "Support team <support@example.com>"


@pytest.mark.parametrize(
    "value",
    [
        "=?utf-8?q?en=0D=0ABcc=3A_victim=40else=2Eorg?=",  # decodes to a line break and a Bcc
        "en;q=0",
        "en-" + "x" * 5000,
        "english please, call +1 555 0100",
    ],
    ids=["injection", "parameter", "very long", "garbage"],
)
def test_a_hostile_content_language_chooses_the_desk_default_and_writes_nothing_of_its_own(value):
    ticket, ack, svc = _acknowledgement(Language.DE, value)

    assert ack["Subject"] == GERMAN_SUBJECT.format(ticket) and ack["Content-Language"] == "de"
    assert ack["Bcc"] is None and svc.sender.sent[0].destinations == ("alice@customer.org",)
    raw = svc.sender.sent[0].raw
    assert b"victim" not in raw and b"please" not in raw and b"xxxxx" not in raw


def test_the_announcement_footer_is_in_the_desks_default_language():
    svc = mail_out(acknowledge_new_tickets=False, default_language=Language.DE)
    announcement = ann.Announcement(
        id="a-1", mailbox="support", subject="Neu", text="Hallo {name}", html="<p>Hi</p>"
    )

    mail = message_from_bytes(
        svc.announcements.build(announcement, ann.Recipient("dana@firma.de", name="Dana")),
        policy=policy.default,
    )

    text = mail.get_body(("plain",)).get_content()
    assert "Sie erhalten diese E-Mail, weil Sie uns geschrieben haben. Abmelden: https://" in text
    assert ">Abmelden</a>" in mail.get_body(("html",)).get_content()
    assert mail["Content-Language"] is None  # the announcement's own words are the staff's
    assert str(mail["From"]) == "Support-Team <support@example.com>"
