"""The console's announcement preview says how many requesters it left out as unauthenticated,
and its checkbox includes them (SECURITY.md, "Automatic mail"). `inbound up` authenticates
nothing, so a requester who wrote in over SMTP is one of them."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from tests.support.console import Console, admin_signs_in, screenshot
from tests.support.local_up import send_as_sender, ticket_of

pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack]


def test_the_preview_names_the_unauthenticated_requesters_it_left_out(
    console: Console, local_stack: Any
) -> None:
    up = local_stack.current
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "unproven@left-out.test", "support@example.com", "Hello"
    mail["Message-ID"] = make_msgid(domain="left-out.test")
    mail.set_content("Please help.")
    send_as_sender(up, mail, "support@example.com")
    ticket_of(up, mail)
    page = admin_signs_in(console, local_stack.data_dir, "audience.admin@example.com", "Audience-Passw0rd!")
    page.locator("#announce-open").click()
    screen = page.locator("#announce-dialog")
    screen.locator("#announce-new").click()
    form = screen.locator("form.announce-form")
    for status in ("new", "open", "pending", "solved", "closed"):  # every ticket of this stack
        form.locator(f"input[name=statuses][value={status}]").check()
    # Saving a draft without its subject and text asks for them on the form, as Preview does:
    # nothing is sent to the server, whose refusal a German console could only call invalid.
    screen.locator("#announce-create").click()
    assert form.locator("input[name=subject]").evaluate(
        "e => e === document.activeElement && !e.validity.valid"
    )
    assert screen.locator(".alert").filter(has_text="subject").count() == 0
    form.locator("input[name=subject]").fill("We moved")
    form.locator("textarea[name=text]").fill("Our new address is on the website.")

    form.locator("button[type=submit]").click()

    left_out = screen.locator("#announce-left-out")
    left_out.wait_for()
    left_out.scroll_into_view_if_needed()
    screenshot(page, "console-announce-left-out.png")
    assert "left out" in (left_out.text_content() or "") and "forged" in (left_out.text_content() or "")
    form.locator("input[name=include_unauthenticated]").check()
    form.locator("button[type=submit]").click()
    left_out.wait_for(state="detached")
    assert "recipient" in (screen.locator(".announce-preview h3").text_content() or "")
