"""The mail to a ticket's agent when its customer replies, on fakes: only for an agent who
turned it on, through the outbound guard, to the agent and never the customer, marked so
that nothing answers it, quoting nothing the customer wrote; and if it came back to a
mailbox it would not become a ticket."""

from __future__ import annotations

from email import message_from_bytes, policy

from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out
from tests.support.ses_feedback import bounce_note

ANN = "ann@example.com"


def mime(sent):
    return message_from_bytes(sent.raw, policy=policy.default)


def _assigned_and_answered(svc):
    svc.desk.agents.record("sub-ann", ANN)  # ANN has signed in: an agent of the staff
    first = deliver_via(svc, make_mail(message_id="<q1@customer.org>", subject="Printer on fire"))
    svc.desk.desk.update(first.ticket, ANN, assignee="me")
    svc.outbound.reply(first.ticket, ANN, "Have you tried water?")
    return first.ticket


def _customer_writes_again(svc, ticket_id: str, **mail):
    again = deliver_via(
        svc, make_mail(message_id="<q2@customer.org>", in_reply_to="<q1@customer.org>", **mail)
    )
    assert (again.outcome, again.ticket) == ("threaded", ticket_id)
    return again


def test_an_agent_who_turned_reply_mail_on_gets_one_mail_marked_automatic_and_the_customer_none():
    svc = mail_out(acknowledge_new_tickets=False)
    svc.alert_preferences.set_reply_mail(ANN, True)
    ticket_id = _assigned_and_answered(svc)
    before = len(svc.sender.sent)
    _customer_writes_again(svc, ticket_id, subject="Call +1 555 0100 now: your account is locked")
    [alert] = svc.sender.sent[before:]
    assert alert.destinations == (ANN,)
    msg = mime(alert)
    assert (msg["To"], msg["Reply-To"]) == (ANN, ANN)
    assert msg["Auto-Submitted"] == "auto-generated" and msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Subject"] == f"Customer replied on {ticket_id}" and "[" not in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert f"https://support.example.com/api/?ticket={ticket_id}" in body
    assert "555" not in body and "locked" not in body, "nothing the customer wrote is quoted"
    assert ticket_id.lower() not in msg["Message-ID"], "its Message-ID threads to no ticket"
    assert svc.table.send_ledger.sent_messages([msg["Message-ID"]], 0) == {
        msg["Message-ID"]: frozenset({ANN})
    }


def test_reply_mail_is_off_by_default_and_for_an_unassigned_ticket():
    svc = mail_out(acknowledge_new_tickets=False)
    ticket_id = _assigned_and_answered(svc)
    before = len(svc.sender.sent)
    _customer_writes_again(svc, ticket_id)
    assert svc.sender.sent[before:] == []
    svc.alert_preferences.set_reply_mail(ANN, True)
    svc.desk.desk.update(ticket_id, ANN, assignee="none")
    deliver_via(svc, make_mail(message_id="<q3@customer.org>", in_reply_to="<q1@customer.org>"))
    assert svc.sender.sent[before:] == []


def test_the_guard_refuses_a_suppressed_agent_address_and_the_customers_mail_is_filed_all_the_same():
    svc = mail_out(acknowledge_new_tickets=False)
    svc.alert_preferences.set_reply_mail(ANN, True)
    ticket_id = _assigned_and_answered(svc)
    svc.feedback.record(bounce_note(ANN))  # the agent's mailbox bounced a mail of ours
    before = len(svc.sender.sent)
    _customer_writes_again(svc, ticket_id)
    assert svc.sender.sent[before:] == []
    assert svc.desk.tickets.require_ticket(ticket_id).message_count == 3


def test_an_auto_reply_on_the_ticket_mails_nobody_and_the_alert_coming_back_is_no_ticket():
    svc = mail_out(acknowledge_new_tickets=False)
    svc.alert_preferences.set_reply_mail(ANN, True)
    ticket_id = _assigned_and_answered(svc)
    before = len(svc.sender.sent)
    away = deliver_via(
        svc,
        make_mail(
            message_id="<ooo@customer.org>",
            in_reply_to="<q1@customer.org>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )
    assert away.outcome == "auto_reply" and svc.sender.sent[before:] == []
    _customer_writes_again(svc, ticket_id)
    [alert] = svc.sender.sent[before:]
    bounced_back = deliver_via(svc, alert.raw)  # e.g. forwarded to support@ by a rule
    assert bounced_back.outcome != "created", bounced_back


def test_a_stage_that_does_not_know_its_url_sends_no_alert_with_a_dead_link(caplog):
    svc = mail_out(acknowledge_new_tickets=False)
    svc.alert_preferences.set_reply_mail(ANN, True)
    ticket_id = _assigned_and_answered(svc)
    svc.knows_its_url = False
    before = len(svc.sender.sent)

    _customer_writes_again(svc, ticket_id)

    assert svc.sender.sent[before:] == [], "no mail whose link would lead nowhere"
    assert [r.levelname for r in caplog.records if "no public URL" in r.getMessage()] == ["ERROR"]
