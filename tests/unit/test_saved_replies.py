"""Saved replies' placeholders and the agent's profile: what is refused when saved, and how
a ticket's values (or their absence) fill a reply."""

from __future__ import annotations

import pytest

from chalicelib.domain.markdown_render import render
from chalicelib.domain.saved_replies import TemplateError, check_profile, check_reply, escape_markup, fill

VALUES = {
    "customer_name": "Anna Berg",
    "customer_first_name": "Anna",
    "customer_email": "anna@kunde.de",
    "ticket_id": "T-1042",
    "ticket_subject": "Printer",
    "agent_name": "Ana",
    "mailbox": "support",
}


def test_unknown_or_malformed_placeholders_are_refused_when_saved():
    for body, named in (
        ("Hello {{custmer_name}}", "{{custmer_name}}"),
        ("Hello {{customer name}}", "{{customer name}}"),
        ("{{ticket_id}} and {{Ticket_Id}}", "{{Ticket_Id}}"),
        ("{{}}", "{{}}"),
    ):
        with pytest.raises(TemplateError) as refused:
            check_reply("Greeting", body)
        assert named in str(refused.value) and "{{customer_name}}" in str(refused.value)
    assert check_reply("  Greeting\n ", " Hi {{ customer_name | there }}, {{ticket_id}} \n") == (
        "Greeting",
        "Hi {{ customer_name | there }}, {{ticket_id}}",
    )


def test_titles_and_bodies_must_be_there_and_bounded():
    for title, body in (("", "text"), ("t", "  "), ("t" * 101, "text"), ("t", "x" * 20_001)):
        with pytest.raises(TemplateError):
            check_reply(title, body)


def test_placeholders_are_filled_and_missing_values_degrade():
    body = "Hello {{customer_name}},\n\nabout {{ ticket_id }} ({{ticket_subject}}).\n\n{{agent_name}}"
    assert fill(body, VALUES) == "Hello Anna Berg,\n\nabout T-1042 (Printer).\n\nAna"

    nameless = {**VALUES, "customer_name": "", "customer_first_name": ""}
    assert fill("Hello {{customer_name}}, hi {{customer_first_name|there}}!", nameless) == "Hello, hi there!"
    assert fill("Saved before the check: {{nope}}", VALUES) == "Saved before the check: {{nope}}"


def test_a_customers_name_fills_in_as_text_never_as_markup():
    name = escape_markup("[Free money](https://evil.example) **Boss** <b>\n_x_")
    filled = fill("Hello {{customer_name}}", {**VALUES, "customer_name": name})

    assert render(filled).html == "<p>Hello [Free money](https://evil.example) **Boss** &lt;b&gt; _x_</p>"


def test_a_display_name_is_one_line_fit_for_from_and_the_signature_is_kept_as_lines():
    assert check_profile("  Ana\tBerg ", "Ana Berg  \r\nSupport\x07 team\n\n") == (
        "Ana Berg",
        "Ana Berg\nSupport team",
    )
    for name in ("Ana <ana@evil.example>", 'Ana "the boss"', "x" * 65, "Ana\\"):
        with pytest.raises(TemplateError):
            check_profile(name, "")
    with pytest.raises(TemplateError):
        check_profile("Ana", "s" * 2001)


def test_a_held_reply_given_back_loses_only_the_signature_the_composer_added():
    from chalicelib.domain.saved_replies import unsigned

    signed = "On it.\n\n-- \nAnn Agent\nRefunds, Example Ltd\n"
    assert unsigned(signed, "Ann Agent\nRefunds, Example Ltd") == "On it."
    assert unsigned(signed, "") == signed  # no signature: nothing was added
    assert unsigned("Quote:\n-- \nnot mine", "Ann") == "Quote:\n-- \nnot mine"
