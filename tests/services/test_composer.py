"""The composer's tools on fakes: admins manage a mailbox's saved replies, agents insert them
filled for a ticket, each agent signs their replies, and a markdown reply leaves as safe HTML
with a readable text part, from "Ana at Support team" at the mailbox's own address."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from chalicelib.adapters.mail.body_render import sanitise_html
from chalicelib.errors import Forbidden, InvalidRequest, SavedReplyNotFound
from chalicelib.services.composer import Composer
from tests.fakes.composer import FakeAgentProfiles, FakeSavedReplies
from tests.fakes.tickets import FakeTickets
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

ANN, BOB = "ann@example.com", "bob@example.com"


def composer(tickets=None) -> Composer:
    ids = iter(f"r{n}" for n in range(1, 100))
    return Composer(
        FakeSavedReplies(),
        FakeAgentProfiles(),
        tickets or FakeTickets(),
        ["support", "billing"],
        lambda: "2026-12-07T10:00:00.000Z",
        sanitise_html,
        new_id=lambda: next(ids),
    )


def test_admins_manage_saved_replies_and_agents_may_only_read_them():
    tools = composer()
    made = tools.create(ANN, True, "Support", " Refund ", "Hi {{customer_first_name|there}}, refunded.")
    assert (made.mailbox, made.id, made.title, made.updated_by) == ("support", "r1", "Refund", ANN)

    for attempt in (
        lambda: tools.create(BOB, False, "support", "Mine", "text"),
        lambda: tools.edit(BOB, False, "support", "r1", "Changed", "text"),
        lambda: tools.delete(False, "support", "r1"),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert [r.title for r in tools.saved("support")] == ["Refund"], "the agent changed nothing"

    tools.edit(ANN, True, "support", "r1", "Refund done", "Refunded, {{ticket_id}}.")
    assert [(r.title, r.body) for r in tools.saved("support")] == [
        ("Refund done", "Refunded, {{ticket_id}}.")
    ]
    tools.delete(True, "support", "r1")
    assert tools.saved("support") == []
    with pytest.raises(SavedReplyNotFound):
        tools.edit(ANN, True, "support", "r1", "Back?", "no")
    with pytest.raises(SavedReplyNotFound):
        tools.delete(True, "support", "r1")


def test_bad_saved_replies_are_refused_with_the_reason():
    tools = composer()
    with pytest.raises(InvalidRequest, match=r"unknown placeholder \{\{customer\}\}"):
        tools.create(ANN, True, "support", "Hi", "Hello {{customer}}")
    with pytest.raises(InvalidRequest, match="unknown mailbox 'sales'"):
        tools.create(ANN, True, "sales", "Hi", "Hello")
    with pytest.raises(InvalidRequest, match="title"):
        tools.create(ANN, True, "support", "  ", "Hello")
    assert tools.saved("support") == []


def test_a_saved_reply_is_filled_with_the_tickets_values_and_the_agents_name():
    svc = mail_out(acknowledge_new_tickets=False)
    ticket = deliver_via(
        svc, make_mail(sender="Anna Berg <anna@kunde.de>", subject="Drucker *kaputt*")
    ).ticket
    tools = composer(svc.desk.tickets)
    tools.create(
        ANN,
        True,
        "support",
        "Greeting",
        "Hello {{customer_name}}, about {{ticket_id}}: {{ticket_subject}}.\n{{agent_name}}",
    )
    tools.create(ANN, True, "billing", "Other mailbox", "not for support tickets")

    _, [(reply, filled)] = tools.for_ticket(ticket, BOB)
    assert reply.title == "Greeting"
    assert filled == f"Hello Anna Berg, about {ticket}: Drucker \\*kaputt\\*.\n{BOB}"

    tools.set_profile(BOB, "Bob", None)
    assert tools.for_ticket(ticket, BOB)[1][0][1].endswith("\nBob")


def test_a_nameless_customer_degrades_to_the_fallback_or_nothing():
    svc = mail_out(acknowledge_new_tickets=False)
    ticket = deliver_via(svc, make_mail(sender="anna@kunde.de")).ticket
    tools = composer(svc.desk.tickets)
    tools.create(ANN, True, "support", "a", "Hello {{customer_name}},")
    tools.create(ANN, True, "support", "b", "Hi {{customer_first_name|there}}!")

    assert [text for _, text in tools.for_ticket(ticket, ANN)[1]] == ["Hello,", "Hi there!"]


def test_each_agent_sets_their_own_signature_and_name():
    tools = composer()
    assert tools.profile(ANN).signature == ""
    tools.set_profile(ANN, "Ann Lee", "Ann Lee\nSupport")
    tools.set_profile(ANN, None, "Ann\nSupport")

    assert (tools.profile(ANN).display_name, tools.profile(ANN).signature) == ("Ann Lee", "Ann\nSupport")
    assert tools.profile(BOB).signature == ""
    with pytest.raises(InvalidRequest, match="display name"):
        tools.set_profile(ANN, "Ann <boss@example.com>", None)


def test_a_markdown_reply_leaves_signed_as_safe_html_with_a_plain_part_from_the_agents_name():
    svc = mail_out(acknowledge_new_tickets=False)
    ticket = deliver_via(svc, make_mail(sender="Anna Berg <anna@kunde.de>")).ticket
    tools = composer(svc.desk.tickets)
    tools.set_profile(ANN, "Ana", "Ana\nSupport team")
    pasted = "Hello **Anna**,\n\nyou wrote: <script>alert(1)</script> [x](javascript:alert(1))"

    written = tools.written(ANN, pasted, "markdown")
    svc.outbound.reply(ticket, ANN, written.text, html=written.html, display_name=written.display_name)

    [sent] = svc.sender.sent
    mail = message_from_bytes(sent.raw, policy=policy.default)
    assert (
        mail["From"] == "Ana at Support team <support@example.com>" and sent.source == "support@example.com"
    )
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",)).get_content().replace("\r\n", "\n")
    plain = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "<strong>Anna</strong>" in html and "&lt;script&gt;" in html and "<script" not in html
    assert "javascript:" not in html.split("[x](")[0] and 'href="javascript' not in html
    assert '<div class="signature"><p>Ana<br>\nSupport team</p></div>' in html
    assert plain == (
        "Hello *Anna*,\n\nyou wrote: <script>alert(1)</script> [x](javascript:alert(1))\n\n-- \nAna\nSupport team\n"
    )


def test_a_plain_reply_is_signed_too_and_an_agent_without_a_profile_sends_as_the_team():
    tools = composer()
    assert tools.written(BOB, "Done.") == tools.written(BOB, "Done.", "text")
    assert tools.written(BOB, "Done.").text == "Done." and tools.written(BOB, "Done.").display_name == ""
    tools.set_profile(BOB, "", "Bob")
    assert tools.written(BOB, "Done.\n").text == "Done.\n\n-- \nBob\n"
    blank = tools.written(BOB, " \n", "markdown")
    assert (blank.text.strip(), blank.html) == ("", ""), "a blank reply stays blank, to be refused"
    with pytest.raises(InvalidRequest, match="format"):
        tools.written(BOB, "Done.", "html")


def test_an_html_part_given_by_the_api_is_sanitised_and_signed():
    tools = composer()
    tools.set_profile(ANN, "", "Ann")
    hostile = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">y</a></p>'

    written = tools.written(ANN, "Hi y", html=hostile)

    assert (
        "<script" not in written.html and "onclick" not in written.html and "javascript:" not in written.html
    )
    assert (
        written.html.endswith('<div class="signature"><p>Ann</p></div>')
        and written.text == "Hi y\n\n-- \nAnn\n"
    )
    with pytest.raises(InvalidRequest, match="not both"):
        tools.written(ANN, "Hi", "markdown", html="<p>Hi</p>")
