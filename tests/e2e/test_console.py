"""The staff console in a real browser (Debian's chromium) against `inbound up`.

An agent signs in, sees the queue, claims the next ticket, reads a hostile mail, replies,
writes a note and closes the ticket. Mail that tries to run script (in its HTML, its
subject, its attachment's name) must not: every payload would set `window.__xss`, change
the title, open a dialog or request /pwned, and the tests look for each of those.
Screenshots of the queue and of a ticket go to test-artifacts/.

Over 300 lines: every step of an agent's day in one module. Splitting it no longer costs a
start: its `inbound up` is the shared one (`shared_stack`) and a module's browser is a context
of the process's one chromium (tests/support/browser.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain import sign_in_devices
from chalicelib.domain.reply_tokens import reply_address
from tests.support.browser import chromium_contexts
from tests.support.console import (
    TITLE,
    Console,
    admin_signs_in,
    inbound_executable,
    screenshot,
    scrolls_sideways,
    suppress,
    wait_for_sent,
    within_window,
)
from tests.support.local_up import (
    CUSTOMER,
    LocalStackRun,
    close_the_working_queue,
    eventually,
    secret_of,
    send,
    stored_message,
    ticket_of,
    tickets_cli,
)

# A hung browser fails its test (and its fixtures still take chromium and the stack down).
pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack, pytest.mark.timeout(180)]

# Each payload, if it ever ran, would leave a trace the tests look for.
RUN = "window.__xss=1;document.title='pwned';fetch('/pwned');alert(1)"
HOSTILE_SUBJECT = f'Refund <img src=x onerror="{RUN}"> now'
HOSTILE_FILENAME = '<img src=x onerror="window.__xss=1">.pdf'


def hostile_html(http: str, picture: str = "remote-pixel.png") -> str:
    return f"""<html><body onload="{RUN}">
<p>Hello from the <b>hostile</b> mail.</p>
<script>{RUN}</script>
<img src="x" onerror="{RUN}">
<a id="js-link" href="javascript:{RUN}">click me</a>
<svg onload="{RUN}"><circle r="4"/></svg>
<iframe src="javascript:{RUN}"></iframe>
<form action="/pwned"><button>go</button></form>
<p>A picture: <img src="{http}/{picture}" alt="remote picture"></p>
</body></html>"""


def hostile_mail(http: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Mallory <{CUSTOMER}>"
    msg["To"] = "support@example.com"
    msg["Subject"] = HOSTILE_SUBJECT
    msg["Message-ID"] = make_msgid(domain="customer.org")
    msg.set_content("Hello from the hostile mail (text part).")
    msg.add_alternative(hostile_html(http), subtype="html")
    msg.add_attachment(
        b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename=HOSTILE_FILENAME
    )
    return msg


def plain_mail(subject: str, text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Alice Example <{CUSTOMER}>"
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.org")
    msg.set_content(text)
    return msg


def _signed_in_on(console: Console, local_stack: LocalStackRun, ticket_id: str) -> Any:
    """The console signed in as the stack's agent, with `ticket_id` open."""
    page = console.open().page
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    page.locator(f'#tickets li[data-ticket="{ticket_id}"]').click()
    page.locator(".ticket-head .tid").filter(has_text=ticket_id).wait_for()
    return page


def test_the_page_is_served_without_a_token_under_a_strict_policy(local_stack: LocalStackRun) -> None:
    http = local_stack.current.http
    with urllib.request.urlopen(f"{http}/", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        page = response.read().decode()
    for directive in ("script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy.replace("style-src-attr 'unsafe-inline'", "")
    assert '<script src="console.js"' in page
    with urllib.request.urlopen(f"{http}/console.js", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
    # The page needs no token; the data behind it still does.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{http}/api/tickets", timeout=10)
    assert refused.value.code == 401


def test_an_agent_works_a_hostile_ticket_from_claim_to_close(
    console: Console, local_stack: LocalStackRun
) -> None:
    up = local_stack.current
    close_the_working_queue(up)
    hostile = hostile_mail(up.http)
    send(up, hostile)
    claimed_first = ticket_of(up, hostile)  # oldest unassigned: the one `n` claims
    calm = plain_mail("Printer on fire", "The office printer is on fire again.\n\nThanks,\nAlice")
    send(up, calm)
    ticket_of(up, calm)
    page = console.open().page
    creds = local_stack.credentials()

    console.sign_in(creds["username"], creds["password"])

    page.locator(f'#tickets li[data-ticket="{claimed_first.id}"]').wait_for()
    page.locator('#views [data-view="working"] .count').filter(has_text=re.compile(r"^2$")).wait_for()
    assert page.locator("#agent").inner_text() == creds["username"]
    subjects = page.locator("#tickets .subject").all_inner_texts()
    assert HOSTILE_SUBJECT in subjects and "Printer on fire" in subjects  # the markup is shown as text
    assert page.locator("#tickets img").count() == 0
    screenshot(page, "console-queue.png")

    asked = len(console.requests)
    page.keyboard.press("n")  # claim next

    head = page.locator(".ticket-head")
    head.locator(".tid").filter(has_text=claimed_first.id).wait_for()
    assert "assigned to you" in head.inner_text()
    # One claim, one read of the queue and its counts: the claim moved the mailbox's change
    # counter, and the change feed's next ticks must not read it all again (they did).
    for _ in range(150):  # Playwright's own clock, so that its request events keep arriving
        if sum("/api/changes" in url for url in console.requests[asked:]) >= 3:
            break
        page.wait_for_timeout(200)
    since = console.requests[asked:]
    assert sum("/api/changes" in url for url in since) >= 3, since
    assert sum("counts=1" in url for url in since) == 1, since  # every view's count in one
    assert not [url for url in since if "limit=100" in url], since  # no list fetched to count it
    assert head.locator("h2").inner_text() == HOSTILE_SUBJECT
    attachment = page.locator(".attachments a")
    assert attachment.inner_text() == HOSTILE_FILENAME
    assert attachment.get_attribute("href").startswith("http")
    assert page.locator("#ticket img").count() == 0  # nothing from the mail became markup here
    message = page.locator(".message.in").first
    assert "SPF" in message.locator(".facts").inner_text()
    assert "started this ticket" in message.inner_text()

    frame_element = page.locator(".message.in iframe.mail")
    assert frame_element.get_attribute("sandbox") == ""
    srcdoc = frame_element.get_attribute("srcdoc")
    assert srcdoc.startswith(
        '<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data: cid:; style-src 'unsafe-inline'\">"
    )
    frame = page.frame_locator(".message.in iframe.mail")
    frame.locator("text=Hello from the").wait_for()
    assert not console.served("/remote-pixel.png")  # blocked until asked for

    page.locator("[data-action=remote-images]").click()
    eventually(lambda: console.served("/remote-pixel.png") or None, 10, "the remote image to load")
    console.assert_nothing_ran()

    page.keyboard.press("r")
    reply = page.locator("#reply-form textarea")
    assert reply.evaluate("el => el === document.activeElement")
    reply.fill("We are on it: a technician is on the way.")
    reply.press("Control+Enter")
    wait_for_sent(page, "a technician is on the way")
    assert page.locator("#reply-form textarea").input_value() == ""

    page.keyboard.press("i")
    page.locator("#note-form textarea").fill("Customer sent HTML with script in it; ignored.")
    page.locator("#note-form button[type=submit]").click()
    page.locator(".message.note").filter(has_text="script in it; ignored").wait_for()
    page.locator("#toast").click()  # dismissed, so that it hides nothing in the picture
    page.locator("#ticket").evaluate("pane => pane.scrollTo(0, 0)")
    screenshot(page, "console-ticket.png")

    page.keyboard.press("c")

    head.locator(".pill.status-closed").wait_for()
    page.locator("#toast").filter(has_text=f"{claimed_first.id} marked closed").wait_for()
    page.locator(f'#tickets li[data-ticket="{claimed_first.id}"]').wait_for(state="detached")
    console.assert_nothing_ran()

    # By keyboard: Enter on a queue item opens it and the next Tab is in the ticket, not on
    # the next of the queue's items.
    page.locator("#tickets li").first.focus()
    page.keyboard.press("Enter")
    head.locator(".subject", has_text="Printer on fire").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('#ticket').contains(document.activeElement)")


def test_mail_html_cannot_run_even_if_the_sanitiser_let_it_through(
    console: Console, local_stack: LocalStackRun
) -> None:
    """GIVEN an API answer carrying raw, unsanitised hostile HTML (as if nh3 missed it)
    WHEN the console shows it THEN the sandboxed frame runs none of it, not even on click."""
    up = local_stack.current
    msg = plain_mail("Raw HTML", "see the formatted part")
    send(up, msg)
    ticket = ticket_of(up, msg)

    def raw_html(route: Any) -> None:
        answer = route.fetch()
        detail = answer.json()
        for message in detail["messages"]:
            if message["direction"] != "inbound":
                continue  # the acknowledgement we sent
            message["html"] = (
                hostile_html(up.http, "raw-pixel.png") + '<meta http-equiv="refresh" content="0;url=/pwned">'
            )
        route.fulfill(response=answer, body=json.dumps(detail))

    page = console.open().page
    page.route(f"**/api/tickets/{ticket.id}", raw_html)
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    page.locator(f'#tickets li[data-ticket="{ticket.id}"]').click()

    assert "<script>" in page.locator(".message.in iframe.mail").get_attribute("srcdoc")  # nothing removed it
    frame = page.frame_locator(".message.in iframe.mail")
    frame.locator("text=Hello from the").wait_for()
    frame.locator("#js-link").click()
    frame.locator("svg").click()
    page.wait_for_timeout(500)  # a payload would have had its chance

    console.assert_nothing_ran()
    assert not console.served("/raw-pixel.png")


def test_a_new_agent_signs_in_with_the_one_time_password_and_chooses_their_own(
    console: Console, local_stack: LocalStackRun
) -> None:
    email = "new.agent@example.com"
    added = subprocess.run(
        [
            inbound_executable(),
            "staff",
            "add",
            email,
            "--data-dir",
            str(local_stack.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    one_time = added.stdout.split("one-time password: ", 1)[1].split()[0]
    page = console.open().page

    console.sign_in(email, "not-the-password")
    page.locator("#login-form .alert").filter(has_text="wrong email or password").wait_for()

    console.sign_in(email, one_time)
    form = page.locator("#new-password-form")
    form.wait_for()
    form.locator("input[name=new_password]").fill("A-Brand-new-9-Password")
    form.locator("input[name=repeat]").fill("A-Brand-new-9-Password")
    form.locator("button[type=submit]").click()

    page.locator("#desk").wait_for()
    assert page.locator("#agent").inner_text() == email
    # The sign-in's device cookie is kept over http://127.0.0.1 although it is Secure: loopback
    # is a secure context to the browser, so the per-browser sign-in limit holds on `inbound up`.
    device = [c for c in page.context.cookies() if c["name"] == sign_in_devices.COOKIE]
    assert len(device) == 1, page.context.cookies()
    assert device[0]["secure"] and device[0]["httpOnly"] and device[0]["sameSite"] == "Strict"
    assert device[0]["path"] == "/console/login"  # the sign-in routes, not every console request

    # An admin disables them: the API refuses their still-valid token once its check of the
    # staff directory is older than its bound (30 s; 3 s on the tests' stacks) (401 agent_disabled), the refresh fails (disable
    # signed them out everywhere), and the open console shows sign-in by itself.
    disable = [inbound_executable(), "staff", "disable", email, "--data-dir", str(local_stack.data_dir)]
    subprocess.run(disable, capture_output=True, text=True, timeout=60, check=True)
    page.locator("#login-form .alert").filter(has_text="session has ended").wait_for(timeout=120_000)
    screenshot(page, "console-disabled-agent-signed-out.png")
    enable = [inbound_executable(), "staff", "enable", email, "--data-dir", str(local_stack.data_dir)]
    subprocess.run(enable, capture_output=True, text=True, timeout=60, check=True)

    # A session the API no longer accepts (and cannot refresh) leads back to sign-in.
    page.evaluate(
        """() => sessionStorage.setItem('inbound.console.session', JSON.stringify(
             {idToken: 'not-a-token', refreshToken: 'not-a-refresh-token', expiresAt: Date.now() + 3600e3}))"""
    )
    page.reload()
    page.locator("#login-form .alert").filter(has_text="session has ended").wait_for()


def test_a_refused_reply_is_shown_with_its_reason_and_the_draft_kept(
    console: Console, local_stack: LocalStackRun
) -> None:
    """GIVEN a requester on the suppression list WHEN the agent replies THEN the console
    says the outbound guard refused it and why, and keeps what the agent wrote."""
    up = local_stack.current
    bounced = "gone@customer.org"
    suppress(up.endpoint, bounced)
    msg = plain_mail("Where is my parcel?", "It has not arrived.")
    msg.replace_header("From", f"Gone <{bounced}>")
    send(up, msg)
    ticket = ticket_of(up, msg)
    page = _signed_in_on(console, local_stack, ticket.id)

    page.keyboard.press("r")
    page.locator("#reply-form textarea").fill("Your parcel is on its way.")
    page.locator("#reply-form button[type=submit]").click()

    alert = page.locator("#reply-form .alert")
    alert.filter(has_text="Refused:").wait_for()
    assert "HTTP 409" in alert.inner_text() and "suppressed" in alert.inner_text()
    assert page.locator("#reply-form textarea").input_value() == "Your parcel is on its way."
    assert page.locator(".message.out").count() == 0


def test_a_customer_posing_as_the_team_is_marked_in_the_thread(
    console: Console, local_stack: LocalStackRun
) -> None:
    """GIVEN a customer named "Support Team" in lookalike Cyrillic letters WHEN the agent
    opens the ticket THEN the thread shows their address and a "name in mixed scripts" chip."""
    up = local_stack.current
    msg = plain_mail("Refund to my new account", "Please refund T-1001 to the account below.")
    msg.replace_header("From", "\u0405upport \u0422eam <eve@evil.test>")
    send(up, msg)
    ticket = ticket_of(up, msg)
    page = _signed_in_on(console, local_stack, ticket.id)

    message = page.locator(".message.in").first
    message.locator(".badge.warn").filter(has_text="name in mixed scripts").wait_for()
    assert "<eve@evil.test>" in message.locator(".sender").inner_text()
    screenshot(page, "console-lookalike-sender.png")


def test_the_agent_sees_whom_a_reply_reaches_edits_it_and_merges_a_linked_ticket(
    console: Console, local_stack: LocalStackRun
) -> None:
    """Participants on the ticket and in the composer ("to … · cc …"), the Cc of each mail,
    and a mail that claimed the ticket without being able to join it (on `inbound up` no sender
    is authenticated: there is no DNS) shown as a linked ticket with its reason and a merge."""
    up = local_stack.current
    first = plain_mail("Broken scanner", "The scanner jams on every page.")
    first["Cc"] = "Bob Colleague <bob@customer.org>"
    send(up, first)
    opened = ticket_of(up, first)
    claim = plain_mail(f"Re: Broken scanner [{opened.id}]", "Also, send the refund to mallory.")
    claim["Cc"] = "mallory@evil.test"
    send(up, claim)
    linked = ticket_of(up, claim)
    assert linked.id != opened.id and linked.related_ticket == opened.id
    page = console.open().page
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    page.locator(f'#tickets li[data-ticket="{opened.id}"]').click()

    people = page.locator(".ticket-head .people")
    people.filter(has_text="nobody").wait_for()  # an unauthenticated mail's Cc is not copied
    assert "cc bob@customer.org" in page.locator(".message.in .facts").first.inner_text()
    assert "sender not authenticated" in page.locator(".message.in .facts").first.inner_text()
    people.locator("input[name=address]").fill("bob@customer.org")
    people.locator("button[type=submit]").click()
    people.locator('[data-participant="bob@customer.org"]').wait_for()
    hint = page.locator("#reply-form .compose-bar .muted").inner_text()
    assert hint == f"to {CUSTOMER} · cc bob@customer.org"
    page.locator("#toast").click()
    screenshot(page, "console-participants.png")

    page.locator(f'#tickets li[data-ticket="{linked.id}"]').click()
    related = page.locator(".ticket-head .related")
    related.wait_for()
    assert opened.id in related.inner_text() and "not authenticated" in related.inner_text()
    screenshot(page, "console-related.png")
    related.locator("button.merge").click()

    page.locator(".ticket-head .tid").filter(has_text=opened.id).wait_for()
    page.locator(".message.in").filter(has_text="send the refund to mallory").wait_for()
    assert page.locator('.people [data-participant="bob@customer.org"]').count() == 1
    assert page.locator('.people [data-participant="mallory@evil.test"]').count() == 0
    assert console.dialogs == []


def test_an_open_ticket_renews_its_attachment_links_before_they_expire(
    console: Console, local_stack: LocalStackRun
) -> None:
    """Links are presigned for 5 minutes: a ticket left open longer gets fresh ones in place
    (Playwright's clock runs the page 4.5 minutes ahead). The list says when tickets opened."""
    up = local_stack.current
    msg = plain_mail("Invoice attached", "Please see the invoice.")
    msg.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="invoice.pdf")
    send(up, msg)
    ticket = ticket_of(up, msg)
    page = console.page
    page.clock.install()
    console.open()
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    item = page.locator(f'#tickets li[data-ticket="{ticket.id}"]')
    assert item.locator(".ago").inner_text().startswith("opened ")
    item.click()
    link = page.locator(".attachments a").filter(has_text="invoice.pdf")
    first = link.get_attribute("href")
    assert "X-Amz-Expires=300" in first
    page.wait_for_timeout(1100)  # the next signature is made in another second (X-Amz-Date)
    page.clock.fast_forward("04:35")
    eventually(lambda: (link.get_attribute("href") != first) or None, 20, "the attachment link to be renewed")
    assert "X-Amz-Signature=" in link.get_attribute("href")


def test_a_change_to_the_ticket_being_left_does_not_take_the_desk_back_to_it(
    console: Console, local_stack: LocalStackRun
) -> None:
    """GIVEN ticket A open and ticket B chosen, its detail still on its way (as after a split
    or a claim) WHEN a poll of the queue sees A changed THEN the desk still opens B: the poll
    follows the ticket on screen only while it is the one chosen. (It used to reopen A, and
    B's answer was dropped as stale: the split test's "Split from" never came.)"""
    up = local_stack.current
    left, chosen = plain_mail("Being left", "first"), plain_mail("Being chosen", "second")
    send(up, left)
    send(up, chosen)
    a, b = ticket_of(up, left), ticket_of(up, chosen)
    page = _signed_in_on(console, local_stack, a.id)
    held: list[Any] = []
    page.route(f"**/api/tickets/{b.id}", lambda route: held.append(route))  # B's detail waits

    page.locator(f'#tickets li[data-ticket="{b.id}"]').click()
    eventually(lambda: held or None, 10, "the console asking for B")
    tickets_cli(up, "tag", a.id, "while-leaving")
    # The change counters see it (every 3 s) and the queue is read again, quietly.
    page.locator(f'#tickets li[data-ticket="{a.id}"] .pill.tag', has_text="while-leaving").wait_for()
    held[0].continue_()

    page.locator(".ticket-head .tid").filter(has_text=b.id).wait_for()
    assert f"ticket={b.id}" in page.url


def test_a_new_mail_reaches_an_open_console_within_seconds_and_counts_in_the_title(
    console: Console, local_stack: LocalStackRun
) -> None:
    """GIVEN a signed-in console, untouched WHEN a mail arrives THEN once it is filed, at the
    next reads of the change counters (every 3 s) its ticket is listed and the title counts
    it; when the agent looks (a click) the count goes. After the agent's reply, the
    customer's answer marks the ticket "customer replied". The sound setting is kept across
    a reload. The waits start when the store holds the mail, so a busy machine's slower
    pipeline is not mistaken for a console that does not notice."""
    up = local_stack.current
    page = console.open().page
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    page.locator("#desk").wait_for()
    page.wait_for_function(f"() => document.title === '{TITLE}'")
    page.wait_for_timeout(3500)  # the counters read once: what is there counts as seen

    subject = f"Fast lane {make_msgid()[1:9]}"
    first = plain_mail(subject, "Is anyone there?")
    send(up, first)  # returns once SMTP said 250
    ticket = ticket_of(up, first)  # filed: from here on it is the console's turn

    item = page.locator("#tickets li").filter(has_text=subject)
    item.wait_for(timeout=10_000)  # three reads of the change counters
    page.wait_for_function(f"() => document.title === '(1) {TITLE}'", timeout=10_000)
    item.click()
    page.wait_for_function(f"() => document.title === '{TITLE}'")
    assert item.locator(".pill.replied").count() == 0

    page.keyboard.press("r")
    page.locator("#reply-form textarea").fill("Yes: what can we do for you?")
    page.locator("#reply-form textarea").press("Control+Enter")
    wait_for_sent(page, "what can we do for you")
    address = reply_address(secret_of(up).encode(), "support@example.com", ticket.id, ticket.token_nonce)
    answer = plain_mail(f"Re: {subject}", "The printer again.")
    del answer["To"]
    answer["To"] = address
    send(up, answer)
    stored_message(up, ticket, answer)  # threaded

    item.locator(".pill.replied").wait_for(timeout=10_000)
    screenshot(page, "console-notify.png")

    page.locator("#notify-sound").click()
    assert page.locator("#notify-sound").get_attribute("aria-pressed") == "true"
    page.reload()
    page.locator("#notify-sound[aria-pressed=true]").wait_for()
    assert page.locator("#notify-desktop").inner_text() == "Notify: off"  # asked for by a button only

    # An agent who tabbed to a ticket keeps their place when the next mail renders the list anew
    # (a re-read replaces every item: the focus fell to the page, and Enter opened nothing).
    item.focus()
    other = plain_mail(f"Second lane {make_msgid()[1:9]}", "Me too.")
    send(up, other)
    ticket_of(up, other)
    page.locator("#tickets li").filter(has_text=other["Subject"]).wait_for(timeout=10_000)
    assert page.evaluate("() => document.activeElement.dataset.ticket || ''") == ticket.id


def test_a_colleague_opening_the_same_ticket_shows_at_the_next_change_tick_not_the_renewal(
    chromium_executable: Path, local_stack: LocalStackRun
) -> None:
    """Ann has a ticket open; Bob opens it. Ann's console learns of him from the change feed
    it reads every 3 s (GET /api/changes?ticket=: the ticket's presence counter, moved by his
    arrival), not at her own presence renewal every 15 s (it was up to 15 s late). Ann's
    clock is Playwright's: after Bob's arrival it runs at most 9 s, so her renewal never came."""
    up = local_stack.current
    msg = plain_mail("Presence: who else is here", "Hello.")
    send(up, msg)
    ticket = ticket_of(up, msg)
    bob_email, bob_password = "presence.bob@example.com", "Presence-Bob-9-Password"
    added = subprocess.run(
        [inbound_executable(), "staff", "add", bob_email, "--data-dir", str(local_stack.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    with chromium_contexts(chromium_executable, 2) as (ann_context, bob_context):
        ann_context.clock.install()
        ann = Console(ann_context.new_page(), up)
        ann.page.on("request", lambda request: ann.requests.append(request.url))
        creds = local_stack.credentials()
        ann.open().sign_in(creds["username"], creds["password"])
        ann.page.locator("#desk").wait_for()
        ann.page.goto(f"{up.http}/?ticket={ticket.id}")
        head = ann.page.locator(".ticket-head")
        head.locator(".tid").filter(has_text=ticket.id).wait_for()
        ann.page.clock.pause_at(int(time.time() * 1000) + 1000)  # her timers wait from here

        bob = Console(bob_context.new_page(), up)
        bob.open().sign_in(bob_email, added.stdout.split("one-time password: ", 1)[1].split()[0])
        form = bob.page.locator("#new-password-form")
        form.locator("input[name=new_password]").fill(bob_password)
        form.locator("input[name=repeat]").fill(bob_password)
        with bob.page.expect_response(lambda r: r.url.endswith("/presence") and r.request.method == "PUT"):
            form.locator("button[type=submit]").click()
            bob.page.locator("#desk").wait_for()
            bob.page.goto(f"{up.http}/?ticket={ticket.id}")

        asked = len(ann.requests)
        pill = head.locator(".presence .pill").filter(has_text=f"{bob_email} has it open")
        advanced = [0]

        def bob_shown() -> bool | None:
            """Ann's time runs half a second per look, at most 9 s in all (three change ticks;
            her renewal comes 15 s after her page started): a tick whose request was under way
            when her clock stopped has its answer between two looks."""
            if pill.count():
                return True
            if advanced[0] < 9000:
                ann.page.clock.run_for(500)
                advanced[0] += 500
            return None

        eventually(bob_shown, 30, "Bob's presence on Ann's open ticket within three change ticks")
        polled = [url for url in ann.requests[asked:] if "/api/changes" in url]
        assert polled and all(f"ticket={ticket.id}" in url for url in polled), polled
        screenshot(ann.page, "console-presence-bob-arrived.png")


def test_on_a_phone_the_queue_and_the_ticket_are_two_screens_that_fit(
    console: Console, local_stack: LocalStackRun
) -> None:
    """At 390 px (and 360, 420) nothing is wider than the screen: the queue, a ticket with its
    triage controls, the composer with its Send button; the top bar is one row, and Sign out
    and ? are on screen once its menu is open. A tapped ticket is a screen of its own, left by
    "← Queue" or the browser's back."""
    up = local_stack.current
    queued = [plain_mail(f"Phone queue {n}", "Hello.") for n in range(8)]
    for queued_mail in queued:
        send(up, queued_mail)
    for queued_mail in queued:  # filed before the phone's ticket: it comes last in the queue
        ticket_of(up, queued_mail)
    long_word = "Refund-for-invoice-" + "x" * 60
    msg = plain_mail(f"Phone: {long_word}", f"Order {long_word} never came.\n\nAlice")
    msg["Cc"] = "a.very.long.colleague.address@customer-subsidiary.example.org"
    send(up, msg)
    ticket = ticket_of(up, msg)
    page = console.page
    page.set_viewport_size({"width": 390, "height": 844})
    console.open()
    creds = local_stack.credentials()
    console.sign_in(creds["username"], creds["password"])
    item = page.locator(f'#tickets li[data-ticket="{ticket.id}"]')
    item.wait_for()

    assert not scrolls_sideways(page)
    _sign_out_and_help_one_tap_away(page)
    assert not page.locator("#ticket").is_visible() and not page.locator("#to-queue").is_visible()
    screenshot(page, "console-phone-390-queue.png")
    item.locator("input.choose").check()  # the queue's triage: a selection's bulk actions
    page.locator("#bulk button[data-bulk=spam]").wait_for()
    assert not scrolls_sideways(page) and within_window(page.locator("#bulk"))
    screenshot(page, "console-phone-390-bulk.png")
    page.locator("#bulk button").filter(has_text="Clear").click()
    page.locator("#bulk").wait_for(state="hidden")

    item.click()
    head = page.locator(".ticket-head")
    head.locator(".tid").filter(has_text=ticket.id).wait_for()
    assert f"ticket={ticket.id}" in page.url
    assert not page.locator("#tickets").is_visible()
    assert page.evaluate("() => window.scrollY") == 0 and within_window(page.locator("#to-queue"))
    assert head.locator(".triage").is_visible() and not scrolls_sideways(page)
    screenshot(page, "console-phone-390-ticket.png")
    head.locator("button.merge-open").click()
    picker = page.locator("#merge-dialog")
    picker.locator("input[name=q]").fill("Phone")
    picker.locator("input[name=q]").press("Enter")
    picker.locator(".picks li").first.wait_for()
    assert within_window(picker) and not scrolls_sideways(page)
    screenshot(page, "console-phone-390-merge.png")
    # Esc in the picker's search field: the first empties it (Chromium's search field), the
    # focus staying in the dialog (it fell to the page behind: a keyboard user was lost),
    # the second closes the picker.
    field = picker.locator("input[name=q]")
    field.press("Escape")
    assert field.evaluate("f => document.activeElement === f") and picker.is_visible()
    field.press("Escape")
    picker.wait_for(state="hidden")

    page.locator(".composer .tab").filter(has_text="Reply").click()
    page.locator("#reply-form textarea").fill("On its way, sorry for the wait.")
    send_button = page.locator("#reply-form button[type=submit]")
    assert within_window(send_button) and not scrolls_sideways(page)
    screenshot(page, "console-phone-390-composer.png")

    page.locator("#to-queue").click()
    item.wait_for()
    assert "ticket=" not in page.url and not page.locator("#ticket").is_visible()
    in_sight = "e => e.getBoundingClientRect().top >= 0 && e.getBoundingClientRect().bottom <= innerHeight"
    assert item.evaluate(in_sight)  # the queue shows where the agent left it
    page.locator("#topbar-menu").click()
    page.locator("#help-open").click()
    assert within_window(page.locator("#help")) and not scrolls_sideways(page)
    screenshot(page, "console-phone-390-help.png")
    page.locator("#help button[type=submit]").click()
    page.go_back()
    head.locator(".tid").filter(has_text=ticket.id).wait_for()
    assert not page.locator("#tickets").is_visible()
    page.go_forward()
    item.wait_for()
    assert not page.locator("#ticket").is_visible()

    for width in (360, 420):
        page.set_viewport_size({"width": width, "height": 800})
        assert not scrolls_sideways(page), width
        _sign_out_and_help_one_tap_away(page)
        screenshot(page, f"console-phone-{width}-queue.png")
        item.click()
        head.locator(".tid").filter(has_text=ticket.id).wait_for()
        assert not scrolls_sideways(page), width
        assert within_window(send_button) and not scrolls_sideways(page), width
        screenshot(page, f"console-phone-{width}-composer.png")
        page.locator("#to-queue").click()
        item.wait_for()

    page.set_viewport_size({"width": 390, "height": 844})
    item.click()
    send_button.click()  # the draft kept since
    wait_for_sent(page, "On its way")
    assert not scrolls_sideways(page)


def _sign_out_and_help_one_tap_away(page: Any) -> None:
    """A phone's top bar is one row; its menu shows Sign out and ? on screen, Escape hides them."""
    bar = page.locator("header.topbar")
    assert bar.evaluate("b => b.getBoundingClientRect().height") <= 64
    page.locator("#topbar-menu").click()
    assert within_window(page.locator("#sign-out")) and within_window(page.locator("#help-open"))
    assert not scrolls_sideways(page)
    page.keyboard.press("Escape")
    page.locator("#sign-out").wait_for(state="hidden")


def test_an_admin_invites_a_colleague_and_disables_them_in_the_staff_screen(
    console: Console, local_stack: LocalStackRun
) -> None:
    """`inbound staff add --role admin` makes an admin; their console has a Staff screen."""
    email, password = "staff.admin@example.com", "An-Admin-9-Password"
    page = admin_signs_in(console, local_stack.data_dir, email, password)

    # An admin's top bar holds a dozen tools: on two rows, inside the bar (the second row
    # spilled over the queue when the desk below was long: here a long mail).
    long_mail = plain_mail("Meeting notes", "".join(f"Point {n}: agreed.\n" for n in range(120)))
    send(local_stack.current, long_mail)
    page.goto(f"{local_stack.current.http}/?ticket={ticket_of(local_stack.current, long_mail).id}")
    page.locator(".ticket-head .subject", has_text="Meeting notes").wait_for()
    spilled = page.evaluate(
        """() => {
          const bar = document.querySelector('.topbar').getBoundingClientRect();
          return [...document.querySelectorAll('.topbar button, .topbar select')]
            .filter((e) => e.offsetParent && e.getBoundingClientRect().bottom > bar.bottom + 0.5)
            .map((e) => e.id);
        }"""
    )
    assert spilled == [], spilled
    page.locator("#staff-open").click()
    screen = page.locator("#staff-dialog")
    screen.locator(f'tr[data-staff="{email}"]').wait_for()
    screen.locator("input[name=email]").fill("invited.colleague@partner.test")
    screen.locator("button[type=submit]").click()
    invited = screen.locator('tr[data-staff="invited.colleague@partner.test"]')
    invited.filter(has_text="invited").wait_for()
    # Disable asks first (a misclick would lock a colleague out): Cancel changes nothing.
    edits: list[str] = []
    page.on("request", lambda r: edits.append(r.url) if r.method == "PATCH" else None)
    invited.get_by_role("button", name="Disable").click()  # the fixture answers Cancel
    assert console.dialogs == [
        "Disable invited.colleague@partner.test? They can no longer sign in until an admin enables them again."
    ]
    console.accept_dialogs = True
    invited.get_by_role("button", name="Disable").click()
    invited.filter(has_text="disabled").wait_for()
    told = page.locator("#toast").filter(has_text="is disabled")
    told.wait_for()
    bar_bottom = page.locator(".topbar").bounding_box()
    assert told.bounding_box()["y"] >= bar_bottom["y"] + bar_bottom["height"]  # covers no tool of the bar
    assert len(console.dialogs) == 2 and len(edits) == 1, (console.dialogs, edits)  # Cancel sent nothing
    screenshot(page, "console-staff-admin.png")
    assert screen.locator(".alert").is_hidden()
