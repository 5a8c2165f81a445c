"""The terminal client's pure parts: tables that fit, pages that read, tokens it reuses."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest

from inbound.cli.staff_login import LoginRequired, Tokens, TokenSource, load_tokens, save_tokens
from inbound.cli.ticket_view import age, ticket_page, ticket_table

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def ticket(**fields):
    base = {
        "id": "T-1001",
        "mailbox": "support",
        "status": "new",
        "priority": "normal",
        "assignee": None,
        "messages": 2,
        "attachments": 0,
        "created_at": "2026-11-27T09:00:00.000Z",
        "requester": "alice@customer.org",
        "subject": "Printer on fire",
        "tags": [],
        "merged_into": None,
    }
    return {**base, **fields}


def test_the_table_fits_the_terminal_and_cuts_long_subjects():
    rows = [ticket(), ticket(id="T-1002", subject="A very long subject " * 10, assignee="ann@example.com")]
    lines = ticket_table(rows, columns=100).splitlines()
    assert lines[0].split() == ["ID", "STATUS", "PRIORITY", "ASSIGNEE", "MSGS", "AGE", "REQUESTER", "SUBJECT"]
    assert all(len(line) <= 100 for line in lines)
    assert lines[2].endswith("…") and "ann@example.com" in lines[2]
    assert lines[1].index("alice@customer.org") == lines[2].index("alice@customer.org")


def test_ages_read_at_a_glance():
    assert age("2026-11-27T11:59:30.000Z", NOW) == "30s"
    assert age("2026-11-27T09:00:00.000Z", NOW) == "3h"
    assert age("2026-11-20T12:00:00.000Z", NOW) == "7d"
    assert age("", NOW) == "?"


def test_a_ticket_page_shows_the_new_text_of_mail_and_marks_notes():
    message = {
        "time": "2026-11-27T10:00:01.000Z",
        "sender": "alice@customer.org",
        "sender_name": "Alice",
        "kind": "customer",
        "direction": "inbound",
        "thread_signal": "new",
        "verdicts": {"spf": "PASS", "dkim": "FAIL"},
        "text": "It burns.\n> old quote",
        "reply_text": "It burns.",
        "attachments": [
            {
                "filename": "a.pdf",
                "content_type": "application/pdf",
                "size": 10,
                "disposition": "inline",
                "url": "u",
            }
        ],
    }
    note = {
        **message,
        "kind": "note",
        "direction": "internal",
        "sender_name": "",
        "text": "VIP",
        "reply_text": "",
    }
    page = ticket_page({"ticket": ticket(tags=["vip"]), "messages": [message, note]})
    assert "alice@customer.org (Alice) · customer · joined by new" in page and "spf PASS dkim FAIL" in page
    assert "old quote" not in page and "old quote" in ticket_page(
        {"ticket": ticket(), "messages": [message]}, True
    )
    assert "· note\n" in page and "tags: vip" in page and "attachment: a.pdf" in page


def test_a_ticket_page_says_whom_replies_copy_and_which_ticket_a_mail_could_not_join():
    message = {
        "time": "2026-11-27T10:00:01.000Z",
        "sender": "alice@customer.org",
        "kind": "customer",
        "direction": "inbound",
        "thread_signal": "new",
        "verdicts": {"dmarc": "GRAY"},
        "authenticated": False,
        "trust_reason": "no DMARC record for customer.org and no SPF or DKIM pass aligned with it",
        "text": "Refund to my new account.",
        "attachments": [],
    }
    linked = ticket(participants=["bob@customer.org"], related_ticket="T-1000", related_reason="why not")
    page = ticket_page({"ticket": linked, "messages": [message]})
    assert "cc: bob@customer.org" in page and "not added to T-1000: why not" in page
    assert "sender not authenticated: no DMARC record for customer.org" in page
    assert "cc: nobody" in ticket_page({"ticket": ticket(participants=[]), "messages": []})


def _tokens(url: str, expires_at: float) -> Tokens:
    return Tokens("id-token", "access", "", expires_at, "client", "us-east-1", None, "ann@example.com", url)


def test_a_fresh_cached_token_is_used_as_is_and_kept_owner_only(tmp_path):
    path = save_tokens(tmp_path, _tokens("http://api", expires_at=2_000_000))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_tokens(tmp_path).email == "ann@example.com"
    assert TokenSource(tmp_path, "http://api", clock=lambda: 1_000_000)() == "id-token"


def test_a_token_for_another_deployment_or_an_expired_one_needs_a_login(tmp_path):
    save_tokens(tmp_path, _tokens("http://other-api", expires_at=2_000_000))
    with pytest.raises(LoginRequired, match="inbound login"):
        TokenSource(tmp_path, "http://api", clock=lambda: 1_000_000)()
    save_tokens(tmp_path, _tokens("http://api", expires_at=1_000_030))  # inside the margin
    with pytest.raises(LoginRequired, match="inbound login"):
        TokenSource(tmp_path, "http://api", clock=lambda: 1_000_000)()
