"""The composer's tools in a real browser against `inbound up` (issue 16, item 1).

An admin sets their display name and signature, creates a saved reply with placeholders,
then answers a customer: "/" in the reply box opens the picker, typing filters it, Esc
closes it, arrows and Enter insert the reply filled with the ticket's values; the agent
pastes something hostile after it, looks at the preview and sends. The local SES outbox
then holds the mail: From "Ana at Support team" at the mailbox's address, a text part with
the filled placeholders and the signature, and an HTML part from the strict renderer with
nothing of the hostile paste but text. Screenshots: test-artifacts/console-replies-*.png.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from tests.support.console import (
    Console,
    admin_signs_in,
    screenshot,
    scrolls_sideways,
    within_window,
)
from tests.support.local_up import LocalStackRun, eventually, local_outbox, send, ticket_of

pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack, pytest.mark.timeout(240)]

ADMIN, PASSWORD = "ana.admin@example.com", "Ana-the-admin-9-Password"
SAVED = (
    "Hello {{customer_first_name|there}},\n\n"
    "your refund for **{{ticket_id}}** is on its way. Details: [your account](https://example.com/account)\n\n"
    "- it shows within 3 days\n- no need to do anything\n\n{{agent_name}}"
)
HOSTILE = ' <img src=x onerror="alert(1)"> [click](javascript:alert(1))'


def _shot(page: Any, n: int, name: str) -> None:
    toast = page.locator("#toast")
    if toast.is_visible():
        toast.evaluate("t => { t.hidden = true; }")
    screenshot(page, f"console-replies-{n:02d}-{name}.png")


def _customer_mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Anna Berg <alice@customer.org>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Where is my refund?"
    msg["Message-ID"] = make_msgid(domain="customer.org")
    msg.set_content("I returned the printer two weeks ago.")
    return msg


def test_a_saved_reply_inserted_by_keyboard_goes_out_signed_with_both_parts(
    console: Console, local_stack: LocalStackRun
) -> None:
    up = local_stack.current
    mail = _customer_mail()
    send(up, mail)
    ticket = ticket_of(up, mail)
    page = admin_signs_in(console, local_stack.data_dir, ADMIN, PASSWORD)

    # Settings: one's own display name and signature, and the mailbox's saved replies.
    page.locator("#replies-open").click()
    screen = page.locator("#replies-dialog")
    screen.locator("input[name=display_name]").fill("Ana")
    screen.locator("textarea[name=signature]").fill("Ana Berg\nSupport team, Example Ltd")
    screen.get_by_role("button", name="Save name and signature").click()
    page.locator("#toast").filter(has_text="Your name and signature are saved").wait_for()
    screen.locator("input[name=title]").fill("Refund on its way")
    screen.locator("textarea[name=body]").fill("Hi {{customer}}")
    screen.get_by_role("button", name="Add saved reply").click()
    screen.locator(".alert").filter(has_text="unknown placeholder {{customer}}").wait_for()
    screen.locator("textarea[name=body]").fill(SAVED)
    screen.get_by_role("button", name="Add saved reply").click()
    screen.locator(".saved-replies li").filter(has_text="Refund on its way").wait_for()
    assert screen.locator(".alert").is_hidden()
    _shot(page, 1, "settings")
    screen.get_by_role("button", name="Close").click()

    # The ticket, and the picker from the keyboard.
    page.locator(f'#tickets li[data-ticket="{ticket.id}"]').click()
    page.locator(".reply-tools .signed").filter(has_text="Ana Berg").wait_for()
    page.keyboard.press("r")
    area = page.locator("#reply-form textarea")
    page.keyboard.type("Hi /re")
    picker = page.locator(".reply-picker")
    picker.locator("li").filter(has_text="Refund on its way").wait_for()
    page.keyboard.press("Escape")  # the "/re" asked the picker: it goes, not to the customer
    picker.wait_for(state="hidden")
    assert area.input_value() == "Hi " and area.evaluate("a => a === document.activeElement")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type("/refu")
    picker.locator("li.active").filter(has_text="Refund on its way").wait_for()
    _shot(page, 2, "picker")
    page.keyboard.press("ArrowDown")  # one match: the choice stays on it
    page.keyboard.press("Enter")
    picker.wait_for(state="hidden")
    written = area.input_value()
    assert written.startswith("Hello Anna,\n\nyour refund for **" + ticket.id + "** is on its way.")
    assert written.endswith("\n\nAna") and "/refu" not in written
    area.press("End")
    page.keyboard.press("Control+End")
    page.keyboard.type(HOSTILE)

    page.get_by_role("button", name="Preview").click()
    frame = page.frame_locator(".reply-preview")
    frame.locator("strong").filter(has_text=ticket.id).wait_for()
    frame.locator(".signature").filter(has_text="Ana Berg").wait_for()
    assert frame.locator("img").count() == 0
    _shot(page, 3, "preview")

    page.locator("#reply-form button[type=submit]").click()
    page.locator(f'.message.out:has-text("{ADMIN}"), #reply-form .alert:not([hidden])').first.wait_for()
    alert = page.locator("#reply-form .alert")
    assert alert.is_hidden(), alert.inner_text()
    _shot(page, 4, "sent")

    # At a phone's width the reply box, its tools and the picker fit the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.keyboard.press("r")
    page.keyboard.type("/")
    picker.locator("li").filter(has_text="Refund on its way").wait_for()
    assert within_window(page.locator(".reply-tools")) and within_window(picker)
    assert not scrolls_sideways(page)
    _shot(page, 5, "phone-picker")
    page.keyboard.press("Escape")

    sent = eventually(
        lambda: next(
            (
                m
                for m in local_outbox(local_stack.data_dir)
                if ticket.id in m["subject"] and m["subject"].startswith("Re:")
            ),
            None,
        ),
        what="the reply in the local SES outbox",
    )
    raw = (local_stack.data_dir / "outbox" / sent["file"]).read_bytes()
    reply = message_from_bytes(raw, policy=policy.default)
    assert reply["From"] == "Ana at Support team <support@example.com>"
    plain = reply.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = reply.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert plain.startswith(f"Hello Anna,\n\nyour refund for *{ticket.id}* is on its way. ")
    assert "Details: your account <https://example.com/account>" in plain
    assert "- it shows within 3 days\n- no need to do anything" in plain
    assert plain.endswith("\n\n-- \nAna Berg\nSupport team, Example Ltd\n")
    assert f"<strong>{ticket.id}</strong>" in html and '<a href="https://example.com/account"' in html
    assert "<ul><li>it shows within 3 days</li>" in html
    assert '<div class="signature"><p>Ana Berg<br>\nSupport team, Example Ltd</p></div>' in html
    assert "<img" not in html and not re.search(r"<[^>]*\son\w+=", html)
    assert 'href="javascript' not in html and "&lt;img src=x" in html
