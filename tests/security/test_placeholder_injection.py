"""Attack: a customer writes in with a name, subject or address that is markup, hoping that
a saved reply's placeholder carries it into our DKIM-signed reply as a link, emphasis or a
placeholder of its own (`{{agent_name}}`).

Answer: every value a customer controls goes into the composer's markdown escaped
(domain/saved_replies.escape_markup), its address included: an address's quoted local part
may hold any markdown (RFC 5322 3.4.1); and placeholders are filled in one pass, so a value
that looks like one stays text. Checked on the markdown the renderer turns into the mail.
"""

from __future__ import annotations

from chalicelib.adapters.mail.body_render import sanitise_html
from chalicelib.domain.markdown_render import render
from chalicelib.services.composer import Composer
from tests.fakes.composer import FakeAgentProfiles, FakeSavedReplies
from tests.support.deliver import deliver_via
from tests.support.outbound_services import mail_out

ADMIN, AGENT = "ann@example.com", "bob@example.com"
EVERY_PLACEHOLDER = (
    "Hello {{customer_name}} ({{customer_first_name}}, {{customer_email}}), "
    "re {{ticket_subject}}. {{agent_name}}"
)


def _mail(sender: str, subject: str) -> bytes:
    # Written header by header: EmailMessage would quote or refuse the hostile From.
    return (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        "Message-ID: <hostile@customer.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n"
    ).encode()


def _filled_for(raw: bytes) -> str:
    svc = mail_out(acknowledge_new_tickets=False)
    ticket = deliver_via(svc, raw).ticket
    tools = Composer(
        FakeSavedReplies(),
        FakeAgentProfiles(),
        svc.desk.tickets,
        ["support"],
        lambda: "2026-12-07T10:00:00.000Z",
        sanitise_html,
    )
    tools.create(ADMIN, True, "support", "Greeting", EVERY_PLACEHOLDER)
    tools.set_profile(AGENT, "Bob", None)
    return tools.for_ticket(ticket, AGENT)[1][0][1]


def test_a_customers_address_is_no_link_in_a_saved_reply():
    raw = _mail('"[Pay](https://evil.test/pay)"@customer.test', "Invoice")

    html = render(_filled_for(raw)).html

    assert "<a " not in html and "evil.test/pay" in html, html


def test_a_customers_name_and_subject_are_text_and_fill_no_placeholder():
    raw = _mail("**{{agent_name}}** <x@customer.test>", "[click](https://evil.test) {{customer_email}}")

    sent = render(_filled_for(raw))

    assert "<a " not in sent.html and "<strong>" not in sent.html, sent.html
    assert sent.text.startswith("Hello **{{agent_name}}** (**{{agent_name}}**, x@customer.test)"), sent.text
    assert "{{customer_email}}. Bob" in sent.text, "a value filled nothing"
