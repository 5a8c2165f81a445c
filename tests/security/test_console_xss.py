"""A list of classic XSS vectors through the whole system, into the staff console.

GIVEN five mails sent over SMTP to `inbound up` whose subjects, From display names,
attachment names, text and HTML bodies carry some 27 vectors (script tags, event handlers,
javascript: URLs, SVG, iframe srcdoc, CSS, mutation XSS through noscript and MathML,
attribute breakouts, template literals), WHEN an agent opens each ticket in the console
(one page of Debian's chromium) THEN no vector ran: each would set `window.__xss`, request
/pwned or open a dialog, and none did, in the page or in a mail frame; and every text is
shown as the customer wrote it, markup and all (a bidi override in a file name is shown as
what it is rather than obeyed).

The console's own fixtures and witnesses come from tests/support/console.py.
"""

from __future__ import annotations

import base64
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from tests.support.console import Console
from tests.support.local_up import CUSTOMER, LocalStackRun, UpProcess, close_the_working_queue, ticket_of

pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack, pytest.mark.timeout(420)]

# What every vector does if it ever runs; no quotes, so it fits any attribute context.
RUN = "window.__xss=1,fetch(/pwned/.source),alert(1)"
VECTORS = [
    f"<script>{RUN}</script>",
    f"<img src=x onerror={RUN}>",
    f"<svg onload={RUN}>",
    f"<svg><script>{RUN}</script></svg>",
    f"<body onload={RUN}>",
    f'<iframe srcdoc="<script>{RUN}</script>"></iframe>',
    f'<iframe src="javascript:{RUN}"></iframe>',
    f'<a href="javascript:{RUN}">click</a>',
    f'<a href="&#106;avascript:{RUN}">entity</a>',
    f'<div style="width:expression({RUN})">css</div>',
    "<style>@import url(/pwned);</style>",
    '<link rel="stylesheet" href="/pwned">',
    f'<noscript><p title="</noscript><img src=x onerror={RUN}>"></noscript>',
    f"<math><mtext><table><mglyph><style><img src=x onerror={RUN}>",
    f'<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror={RUN} src=1>">',
    f'"><img src=x onerror={RUN}>',
    f"'><svg onload={RUN}>",
    f"`;{RUN};`",
    "${" + RUN + "}",
    f"</title><script>{RUN}</script>",
    f"</textarea><script>{RUN}</script>",
    f'<object data="javascript:{RUN}"></object>',
    f"<details open ontoggle={RUN}>",
    f"<input autofocus onfocus={RUN}>",
    f'<meta http-equiv="refresh" content="0;url=javascript:{RUN}">',
    f"<form><button formaction=javascript:{RUN}>go</button></form>",
    f"<video><source onerror={RUN}></video>",
]
MAILS = 5
# Not script, but the same family: a bidi override that makes "…fdp.exe" read "…exe.pdf".
DISGUISED = ("invoice\u202efdp.exe", "invoice[U+202E]fdp.exe")  # (as sent, as the console shows it)
NAME_CHARS = 256  # display names are kept up to this length (chalicelib/domain/mail.py)


@dataclass
class Hostile:
    """One mail and what the console must show of it, literally."""

    message: EmailMessage
    raw: bytes
    subject: str
    name: str
    filenames: list[str]  # as the console shows them
    text: str


def encoded_words(text: str) -> str:
    """`text` as RFC 2047 base64 words (whitespace between them is dropped when decoding):
    carries any character, and no generator folds or re-quotes it on the way."""
    data, words, start = text.encode(), [], 0
    while start < len(data):
        end = min(len(data), start + 45)
        while end < len(data) and data[end] & 0xC0 == 0x80:  # never split a UTF-8 sequence
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode()}?=")
        start = end
    return "\r\n ".join(words)


def hostile(vectors: list[str], disguised: bool = False) -> Hostile:
    subject = " ".join(vectors)
    name = ""
    for vector in vectors:  # as many whole vectors as a display name keeps
        if len(f"{name} {vector}".strip()) <= NAME_CHARS:
            name = f"{name} {vector}".strip()
    text = "\n".join(["Hello, the markup below is text.", *vectors])
    msg = EmailMessage()
    msg["From"] = "placeholder@customer.org"
    msg["To"] = "support@example.com"
    msg["Subject"] = "placeholder subject"
    msg["Message-ID"] = make_msgid(domain="customer.org")
    msg.set_content(text)
    msg.add_alternative(
        f"<html><body><p>Hello from a hostile mail.</p>{''.join(VECTORS)}</body></html>", subtype="html"
    )
    filenames = [f"{vector}.txt" for vector in vectors]
    for n, filename in enumerate(filenames):
        msg.add_attachment(f"file {n}\n".encode(), maintype="text", subtype="plain", filename=filename)
    if disguised:
        msg.add_attachment(b"MZ", maintype="application", subtype="octet-stream", filename=DISGUISED[0])
        filenames.append(DISGUISED[1])
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    for placeholder, value in (
        (b"From: placeholder@customer.org", f"From: {encoded_words(name)}\r\n <{CUSTOMER}>"),
        (b"Subject: placeholder subject", f"Subject: {encoded_words(subject)}"),
    ):
        assert raw.count(placeholder) == 1
        raw = raw.replace(placeholder, value.encode())
    return Hostile(msg, raw, subject, name, filenames, text)


def send_raw(up: UpProcess, mail: Hostile) -> None:
    with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=30) as smtp:
        smtp.sendmail(CUSTOMER, ["support@example.com"], mail.raw)


def shown_literally(page: Any, mail: Hostile) -> None:
    """Subject, sender, file names and text as the customer wrote them, as text, not markup."""
    head = page.locator(".ticket-head")
    assert head.locator("h2").inner_text() == mail.subject
    assert head.locator("h2").get_attribute("title") == mail.subject
    message = page.locator(".message.in").first
    assert message.locator(".sender").inner_text() == f"{mail.name} <{CUSTOMER}>"
    links = message.locator(".attachments a")
    assert links.all_inner_texts() == mail.filenames
    assert [links.nth(n).get_attribute("download") for n in range(links.count())] == mail.filenames
    for selector in (".ticket-head", ".message.in .meta", ".attachments"):
        assert (
            page.locator(f"{selector} img, {selector} svg, {selector} script, {selector} iframe").count() == 0
        )


def test_no_vector_runs_anywhere_in_the_console_and_every_text_shows_as_written(
    console: Console,  # noqa: F811
    local_stack: LocalStackRun,
) -> None:
    up = local_stack.current
    close_the_working_queue(up)  # the queue's first page must list this test's tickets
    mails = [hostile(VECTORS[n::MAILS], disguised=n == 0) for n in range(MAILS)]
    for mail in mails:
        send_raw(up, mail)
    tickets = [ticket_of(up, mail.message).id for mail in mails]
    page = console.open().page
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    for ticket in tickets:
        page.locator(f'#tickets li[data-ticket="{ticket}"]').wait_for()
    listed = dict(
        zip(console.tickets_listed(), page.locator("#tickets .subject").all_inner_texts(), strict=True)
    )
    assert {ticket: listed[ticket] for ticket in tickets} == {
        t: m.subject for t, m in zip(tickets, mails, strict=True)
    }
    assert page.locator("#tickets img, #tickets svg, #tickets iframe").count() == 0

    for ticket, mail in zip(tickets, mails, strict=True):
        page.locator(f'#tickets li[data-ticket="{ticket}"]').click()
        page.locator(".ticket-head .tid").filter(has_text=ticket).wait_for()
        shown_literally(page, mail)
        frame = page.frame_locator(".message.in iframe.mail")
        frame.locator("text=Hello from a hostile mail.").wait_for()
        for link in frame.locator("a, button, details, input").all():  # whatever survived, poke it
            link.click(timeout=2_000, no_wait_after=True, force=True)
        page.wait_for_timeout(300)  # a payload would have had its chance
        console.assert_nothing_ran()

        page.locator(".message.in .body-tools button").filter(has_text="Plain text").click()
        body = page.locator(".message.in .body")
        quoted = body.locator("button").filter(has_text="Show quoted text")
        if quoted.count():
            quoted.click()
        assert body.locator(".text").inner_text().strip() == mail.text.strip()
        assert body.locator("img, svg, script, iframe").count() == 0

    assert console.dialogs == [] and console.page.evaluate("() => window.__xss") is None
    assert not console.served("/pwned")


def test_a_bidi_override_in_a_name_or_subject_does_not_reorder_the_address_beside_it(
    console: Console,  # noqa: F811
    local_stack: LocalStackRun,
) -> None:
    """A display name ending in U+202E (right-to-left override) ran on over the address shown
    after it in the same line, so `Support <mallory@evil.test>` read as
    `Support >tset.live@yrollam<`; a subject's override ran on over the time after it in a
    customer's history. Each customer text is isolated now: the address keeps its order."""
    up = local_stack.current
    close_the_working_queue(up)  # the queue's first page must list this test's ticket
    override = "\u202e"
    message = EmailMessage()
    message["From"], message["To"] = CUSTOMER, "support@example.com"
    message["Subject"], message["Message-ID"] = "placeholder", make_msgid(domain="customer.org")
    message.set_content("Where is my refund?")
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    raw = raw.replace(
        f"From: {CUSTOMER}".encode(),
        f"From: {encoded_words('Support team' + override)} <{CUSTOMER}>".encode(),
    )
    raw = raw.replace(
        b"Subject: placeholder", f"Subject: {encoded_words('Refund ' + override + 'due')}".encode()
    )
    send_raw(up, Hostile(message, raw, "", "", [], ""))
    ticket = ticket_of(up, message).id
    page = console.open().page
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    page.locator(f'#tickets li[data-ticket="{ticket}"]').click()
    page.locator(".ticket-head .tid").filter(has_text=ticket).wait_for()
    sender = page.locator(".message.in .sender").first
    assert sender.inner_text() == f"Support team{override} <{CUSTOMER}>"
    isolated = sender.evaluate(
        "(s) => [...s.querySelectorAll('bdi')].map((b) => [b.textContent, getComputedStyle(b).unicodeBidi])"
    )
    assert isolated == [[f"Support team{override}", "isolate"], [CUSTOMER, "isolate"]]
    listed = page.locator(f'#tickets li[data-ticket="{ticket}"] .subject')
    assert listed.evaluate("(s) => getComputedStyle(s).unicodeBidi") == "isolate"
