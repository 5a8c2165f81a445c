"""The fixed words a customer reads from us, in each of our languages.

Standard library only. Every text here is ours: the only values filled in are our own (a
ticket id, a mailbox's team name, an unsubscribe URL we made). Nothing a sender or a
browser wrote is quoted; their headers only choose the language (domain/customer_language.py).
The German is written as a German support team writes to customers: Sie-form, "Guten Tag",
"Mit freundlichen Grüßen".
"""

from __future__ import annotations

from chalicelib.domain.customer_language import Language
from chalicelib.domain.frozen import frozen


def team_name(mailbox: str, language: Language = Language.EN) -> str:
    """ "Support team" / "Support-Team" (German joins a compound with hyphens)."""
    words = mailbox.replace("-", " ").title().split()
    if language is Language.DE:
        return "-".join([*words, "Team"])
    return " ".join([*words, "team"])


def acknowledgement_subject(ticket_id: str, language: Language = Language.EN) -> str:
    """The tag threads replies; no word of the sender's."""
    if language is Language.DE:
        return f"Ihre Anfrage ist bei uns eingegangen [{ticket_id}]"
    return f"We received your request [{ticket_id}]"


def acknowledgement_text(ticket_id: str, team: str, language: Language = Language.EN) -> str:
    """The body of the acknowledgement of ticket `ticket_id`, signed by `team`."""
    if language is Language.DE:
        return (
            f"Guten Tag,\n\nwir haben Ihre Anfrage {ticket_id} erhalten. Jemand aus unserem Team "
            f"meldet sich so bald wie möglich bei Ihnen.\n\nMöchten Sie noch etwas ergänzen? "
            f"Antworten Sie einfach auf diese E-Mail und lassen Sie [{ticket_id}] im Betreff "
            f"stehen.\n\nMit freundlichen Grüßen\nIhr {team}\n"
        )
    return (
        f"Hello,\n\nwe have received your request {ticket_id}. A member of our team will "
        f"answer soon.\n\nTo add anything, reply to this mail and keep [{ticket_id}] in the "
        f"subject.\n\n-- \n{team}\n"
    )


# -- announcements: the footer with the opt-out link ------------------------------------------
def announcement_footer(url: str, language: Language = Language.EN) -> str:
    """The text part's footer; `url` is our own unsubscribe link."""
    if language is Language.DE:
        return f"\n\n-- \nSie erhalten diese E-Mail, weil Sie uns geschrieben haben. Abmelden: {url}\n"
    return f"\n\n-- \nYou receive this because you wrote to us. Unsubscribe: {url}\n"


def announcement_html_footer(escaped_url: str, language: Language = Language.EN) -> str:
    """The HTML part's footer; `escaped_url` is our own link, already escaped for an attribute.
    `ses:no-track`: SES leaves the link as it is (no click-tracking redirect), so the opt-out
    needs nobody's redirect and is never counted as a click."""
    link = f'<a ses:no-track href="{escaped_url}">'
    if language is Language.DE:
        return f'<hr><p style="font-size:small">Keine Ankündigungen mehr erhalten: {link}Abmelden</a>.</p>'
    return f'<hr><p style="font-size:small">{link}Unsubscribe</a> from announcements.</p>'


# -- the unsubscribe pages (api/unsubscribe_routes.py) ----------------------------------------
@frozen
class PageWords:
    """One page: its title and its paragraph, plain text (the page escapes them)."""

    title: str
    text: str


@frozen
class UnsubscribeWords:
    confirm: PageWords
    button: str
    done: PageWords
    invalid: PageWords
    unavailable: PageWords  # the reply secrets cannot be read just now (SSM throttled or out)


UNSUBSCRIBE = {
    Language.EN: UnsubscribeWords(
        confirm=PageWords(
            "Unsubscribe from announcements",
            "You will no longer receive announcements from us. Replies to your own requests still reach you.",
        ),
        button="Unsubscribe",
        done=PageWords("You are unsubscribed", "You will receive no more announcements from us."),
        invalid=PageWords("This link is not valid", "Nothing was changed."),
        unavailable=PageWords("Please try again", "Nothing was changed yet: try the link again in a minute."),
    ),
    Language.DE: UnsubscribeWords(
        confirm=PageWords(
            "Von Ankündigungen abmelden",
            "Sie erhalten dann keine Ankündigungen mehr von uns. Antworten auf Ihre eigenen "
            "Anfragen erreichen Sie weiterhin.",
        ),
        button="Abmelden",
        done=PageWords("Sie sind abgemeldet", "Sie erhalten keine Ankündigungen mehr von uns."),
        invalid=PageWords("Dieser Link ist ungültig", "Es wurde nichts geändert."),
        unavailable=PageWords(
            "Bitte versuchen Sie es erneut",
            "Es wurde noch nichts geändert: öffnen Sie den Link in einer Minute noch einmal.",
        ),
    ),
}
