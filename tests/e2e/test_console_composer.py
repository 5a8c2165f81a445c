"""The composer's sending tools in the browser against `inbound up` (issue 16, item 1).

The issue's "done when": an agent (an admin, so that they may save replies) sets their
signature and a saved reply, then answers a customer with the saved reply picked by
keyboard, signed, with a PDF attached from disk (uploaded by the page straight to the
stack's S3 with a presigned POST): the outbox shows the mail sent with the filled reply,
the signature and the PDF as a part. The agent forwards the customer's message to
engineering with a note (the outbox shows it sent, the thread shows who forwarded it to
whom); a file too large for the send limit leaves as a time-limited link in the body.
Screenshots in test-artifacts/console-composer-*.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium_context
from tests.support.console import TIMEOUT_MS, Console, screenshot
from tests.support.local_up import (
    ROOT,
    LocalStackRun,
    eventually,
    inbound_command,
    local_outbox,
    run_inbound,
    send,
    start_up,
    ticket_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SEND_LIMIT = 200_000  # bytes of one mail; a larger file goes as a link
# Seconds a reply waits for its Undo (the console sends every reply that way). Each reply the
# test sends waits it out (two do), and the Undo after a reload must come within it: 5 s.
SEND_DELAY = 5
PDF = b"%PDF-1.4\n" + b"Refund confirmation for order 4471.\n" * 1000 + b"%%EOF\n"  # 36 KB
SCAN = b"%PDF-1.4\n" + bytes(range(256)) * 1200 + b"\n%%EOF\n"  # 300 KB: over the limit
SAVED = "Hello {{customer_first_name|there}}, the confirmation for {{ticket_id}} is attached."


@pytest.fixture(scope="module")
def composer_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackRun]:
    """`inbound up` with a small send limit, so that a 300 KB file is too large to mail, and
    an undo window long enough for a click."""
    base = tmp_path_factory.mktemp("inbound-up-composer")
    run = LocalStackRun(data_dir=base / "data", logs=base)
    settings = {"INBOUND_MAX_SEND_BYTES": str(SEND_LIMIT), "INBOUND_SEND_DELAY_SECONDS": str(SEND_DELAY)}
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        start_up(run.data_dir, run.logs, run.started)
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    try:
        yield run
    finally:
        for up in run.started:
            up.stop()


@pytest.fixture
def ann(chromium_executable: Path, composer_stack: LocalStackRun) -> Iterator[Console]:
    with chromium_context(chromium_executable) as context:
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        tab = Console(page, composer_stack.current)
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        creds = composer_stack.credentials()
        made = run_inbound(composer_stack.current, "staff", "role", creds["username"], "admin")
        assert made.returncode == 0, made.stderr  # saving replies for the team is an admin's
        tab.open()
        tab.sign_in(creds["username"], creds["password"])
        page.locator("#desk").wait_for()
        yield tab
        assert tab.errors == []


def _customer_mail(subject: str, text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Dora Kunde <dora@customer.org>"
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.org")
    msg.set_content(text)
    return msg


def _sent(stack: LocalStackRun, subject_part: str) -> tuple[dict[str, Any], Any]:
    record = eventually(
        lambda: next((m for m in local_outbox(stack.data_dir) if subject_part in m["subject"]), None),
        what=f"a sent mail about {subject_part!r} in the outbox",
    )
    raw = (stack.data_dir / "outbox" / record["file"]).read_text()
    return record, message_from_string(raw, policy=policy.default)


def _text_of(stack: LocalStackRun, record: dict[str, Any]) -> str:
    return (stack.data_dir / "outbox" / record["file"]).read_text()


def _open(ann: Console, ticket_id: str) -> Any:
    page = ann.page
    page.goto(f"{ann.up.http}/?ticket={ticket_id}")
    page.locator(".ticket-head .tid", has_text=ticket_id).wait_for()
    return page


def _attach(page: Any, tmp_path: Path, name: str, payload: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    form = page.locator("#reply-form")
    form.locator("input[type=file]").set_input_files(str(path))
    form.locator(".reply-files .file-ready", has_text=name).wait_for()


def test_a_reply_carries_a_pdf_and_a_file_too_large_to_mail_becomes_a_link(
    ann: Console, composer_stack: LocalStackRun, tmp_path: Path
) -> None:
    up = composer_stack.current
    question = _customer_mail("Refund for order 4471", "Where is my refund confirmation?")
    send(up, question, to=["support@example.com"])
    ticket = ticket_of(up, question)
    page = _open(ann, ticket.id)

    # Settings: a signature and a saved reply with the customer's name and the ticket.
    page.locator("#replies-open").click()
    screen = page.locator("#replies-dialog")
    screen.locator("input[name=display_name]").fill("Ann")
    screen.locator("textarea[name=signature]").fill("Ann Agent\nRefunds, Example Ltd")
    screen.get_by_role("button", name="Save name and signature").click()
    page.locator("#toast").filter(has_text="Your name and signature are saved").wait_for()
    screen.locator("input[name=title]").fill("Refund confirmation")
    screen.locator("textarea[name=body]").fill(SAVED)
    screen.get_by_role("button", name="Add saved reply").click()
    screen.locator(".saved-replies li").filter(has_text="Refund confirmation").wait_for()
    screen.get_by_role("button", name="Close").click()
    page.locator(".reply-tools .signed").filter(has_text="Ann Agent").wait_for()

    # The reply: the saved reply by keyboard, the PDF from disk.
    area = page.locator("#reply-form textarea")
    area.click()
    page.keyboard.type("/refund")
    page.locator(".reply-picker li.active").filter(has_text="Refund confirmation").wait_for()
    page.keyboard.press("Enter")
    assert area.input_value().startswith(f"Hello Dora, the confirmation for {ticket.id} is attached.")
    _attach(page, tmp_path, "refund-4471.pdf", PDF)
    screenshot(page, "console-composer-1-attached.png")
    page.locator("#reply-form button[type=submit]").click()
    page.locator("#reply-form .reply-files").wait_for(state="hidden")

    record, mail = _sent(composer_stack, f"Re: Refund for order 4471 [{ticket.id}]")
    assert record["to"] == ["dora@customer.org"] and "Send" in record["events"]
    assert mail["From"] == "Ann at Support team <support@example.com>"
    plain = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain.startswith(f"Hello Dora, the confirmation for {ticket.id} is attached.")
    assert plain.endswith("\n-- \nAnn Agent\nRefunds, Example Ltd\n")
    [part] = list(mail.iter_attachments())
    assert (part.get_filename(), part.get_content_type(), part.get_content()) == (
        "refund-4471.pdf",
        "application/pdf",
        PDF,
    )
    page.locator(".messages li.message.out .attachments", has_text="refund-4471.pdf").wait_for()
    screenshot(page, "console-composer-2-sent.png")

    # The customer's message to engineering, with a note; the thread records it.
    page.locator(".messages li.message.in .forward-message").click()
    dialog = page.locator("#forward-dialog")
    dialog.locator("input[name=to]").fill("engineering@partner.test")
    dialog.locator("textarea[name=note]").fill("Refund stuck for order 4471, can you check?")
    screenshot(page, "console-composer-3-forward.png")
    dialog.locator("button[type=submit]").click()
    line = page.locator(".messages li.event", has_text="to engineering@partner.test")
    line.wait_for()
    assert "forwarded the message from dora@customer.org" in line.inner_text()
    record, mail = _sent(composer_stack, f"Fwd: Refund for order 4471 [{ticket.id}]")
    assert record["to"] == ["engineering@partner.test"] and "Send" in record["events"]
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Refund stuck for order 4471") and "Where is my refund confirmation?" in text
    screenshot(page, "console-composer-4-forwarded.png")

    # Undo: the reply waits in its window; Undo cancels it and gives the text and file back.
    # A file stays on the reply while the ticket is drawn again (here: a tag added).
    area = page.locator("#reply-form textarea")
    area.fill("Sorry, wrong ticket: please ignore.")
    _attach(page, tmp_path, "wrong-label.pdf", PDF)
    page.locator(".add-tag input[name=tag]").fill("refund")
    page.locator(".add-tag input[name=tag]").press("Enter")
    page.locator(".tags .chip.tag", has_text="refund").wait_for()
    assert page.locator("#reply-form .reply-files .file-ready", has_text="wrong-label.pdf").count() == 1
    page.locator("#reply-form button[type=submit]").click()
    sending = page.locator("#undo-send")
    sending.filter(has_text="Sending…").wait_for()
    screenshot(page, "console-composer-5-sending.png")
    sending.get_by_role("button", name="Undo").click()
    sending.filter(has_text="Not sent: the reply is back in the box.").wait_for()
    assert area.input_value() == "Sorry, wrong ticket: please ignore."
    assert page.locator("#reply-form .reply-files .file-ready", has_text="wrong-label.pdf").count() == 1
    screenshot(page, "console-composer-6-undone.png")
    area.fill("")
    page.locator("#reply-form .reply-files .chip-remove").click()

    # A page loaded again while a reply waits shows it, from the API, and can still undo it;
    # the undone reply's text and its file come back.
    area.fill("Sent too soon: please ignore.")
    _attach(page, tmp_path, "early-label.pdf", PDF)
    page.locator("#reply-form button[type=submit]").click()
    sending.filter(has_text="Sending…").wait_for()
    page = _open(ann, ticket.id)
    sending = page.locator("#undo-send")
    sending.filter(has_text="Sending…").get_by_role("button", name="Undo").click()
    sending.filter(has_text="Not sent: the reply is back in the box.").wait_for()
    area = page.locator("#reply-form textarea")
    assert area.input_value() == "Sent too soon: please ignore."
    page.locator("#reply-form .reply-files .file-ready", has_text="early-label.pdf").wait_for()
    screenshot(page, "console-composer-6b-undone-after-reload.png")
    area.fill("")
    page.locator("#reply-form .reply-files .chip-remove").click()

    # A scan over the send limit: the mail carries a link to it, not the file.
    follow_up = _customer_mail("Scan of the invoice", "Can you send the scanned invoice?")
    send(up, follow_up, to=["support@example.com"])
    scanned = ticket_of(up, follow_up)
    page = _open(ann, scanned.id)
    _attach(page, tmp_path, "invoice-scan.pdf", SCAN)
    page.locator("#reply-form textarea").fill("Here is the scan.")
    page.locator("#reply-form button[type=submit]").click()
    record, mail = _sent(composer_stack, f"Re: Scan of the invoice [{scanned.id}]")
    text = mail.get_body(("plain",)).get_content()
    assert list(mail.iter_attachments()) == []
    # The link is the stage's own /files/<token> (it outlives the credentials that sign S3
    # URLs); following it redirects to a fresh presigned GET of the scan.
    link = re.search(r"invoice-scan\.pdf \(300\.0 KB\): (http\S+)", text)
    assert link is not None and "/files/" in link.group(1), text
    with urllib.request.urlopen(link.group(1), timeout=30) as answer:
        assert answer.read() == SCAN
    screenshot(page, "console-composer-7-link.png")
    # Sent after the undone replies' windows had passed: the undone ones never left.
    assert not [
        m
        for m in local_outbox(composer_stack.data_dir)
        if "wrong ticket" in _text_of(composer_stack, m) or "too soon" in _text_of(composer_stack, m)
    ]


def test_the_cli_replies_with_a_file_and_forwards_through_the_consoles_api(
    composer_stack: LocalStackRun, tmp_path: Path
) -> None:
    """`inbound tickets reply --attach` and `tickets forward` against `inbound up`, in a shell
    with no AWS credentials: the file goes to the stack's S3 by the API's presigned POST."""
    up = composer_stack.current
    question = _customer_mail("Invoice copy", "Could you send the invoice again?")
    send(up, question, to=["support@example.com"])
    ticket = ticket_of(up, question)
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(PDF)
    bare = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"HOME": str(tmp_path)}

    def bare_inbound(up: Any, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [*inbound_command(), *argv, "--data-dir", str(up.data_dir)]
        return subprocess.run(command, cwd=ROOT, env=bare, capture_output=True, text=True, timeout=120)

    done = bare_inbound(up, "tickets", "reply", ticket.id, "Attached.", "--attach", str(invoice))
    assert done.returncode == 0, done.stderr
    _, mail = _sent(composer_stack, f"Re: Invoice copy [{ticket.id}]")
    assert [(p.get_filename(), p.get_content()) for p in mail.iter_attachments()] == [("invoice.pdf", PDF)]

    missing = bare_inbound(
        up, "tickets", "reply", ticket.id, "Again.", "--attach", str(tmp_path / "nope.pdf")
    )
    assert missing.returncode != 0 and missing.stderr.count("\n") == 1 and "nope.pdf" in missing.stderr

    forwarded = run_inbound(
        up, "tickets", "forward", ticket.id, "--to", "accounts@partner.test", "--note", "FYI"
    )
    assert forwarded.returncode == 0, forwarded.stderr
    record, _ = _sent(composer_stack, f"Fwd: Invoice copy [{ticket.id}]")
    assert record["to"] == ["accounts@partner.test"]
