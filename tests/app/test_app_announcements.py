"""Announcements over the API, as the console's admin screen uses them: admins only, a preview
that stores nothing, create, a test to oneself, send, and the report with each recipient."""

from __future__ import annotations

from email import message_from_bytes, policy

from chalicelib.domain.announcements import unsubscribe_token
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, BOB, sent_mail, ssm_outage, token_in_groups

LIST = "Dora <dora@customer.test>\nnewcomer@customer.test\nnot an address\n"
DRAFT = {
    "subject": "Login outage, {name}",
    "text": "We know, {name}. It is fixed by noon.",
    "html": "<p>We know, <b>{name}</b>.</p><script>alert(1)</script>",
    "list": LIST,
}


def test_an_agent_is_refused_every_announcement_route(api):
    token = token_in_groups(api, ANN, "agent")
    for method, path, body in (
        ("GET", "/api/announcements", None),
        ("POST", "/api/announcements", {"action": "create", **DRAFT}),
        ("GET", "/api/announcements/A-20261207-abcdef", None),
        ("POST", "/api/announcements/A-20261207-abcdef", {"action": "send"}),
    ):
        answer = api.call(method, path, body, token=token)
        assert (answer.status_code, answer.json_body["error"]) == (403, "forbidden"), (method, path)
    assert api.get("/api/announcements", token=token_in_groups(api, BOB, "admin")).json_body == {
        "announcements": []
    }


def test_an_admin_previews_creates_tests_sends_and_reads_the_report(api):
    admin = token_in_groups(api, ANN, "admin")

    preview = api.post("/api/announcements", {"action": "preview", **DRAFT}, token=admin)

    assert preview.status_code == 200, preview.json_body
    shown = preview.json_body
    assert (shown["audience_count"], shown["invalid"]) == (2, ["not an address"])
    assert shown["sample"]["subject"] == "Login outage, Dora"
    assert shown["sample"]["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    assert "<b>Dora</b>" in shown["sample"]["html"] and "<script" not in shown["sample"]["html"]
    assert api.get("/api/announcements", token=admin).json_body == {"announcements": []}  # nothing stored

    created = api.post("/api/announcements", {"action": "create", **DRAFT}, token=admin)
    assert created.status_code == 201, created.json_body
    announcement = created.json_body["id"]
    listed = api.get("/api/announcements", token=admin).json_body["announcements"]
    assert [(a["id"], a["state"], a["total"]) for a in listed] == [(announcement, "draft", 2)]

    mail = sent_mail()
    tested = api.post(f"/api/announcements/{announcement}", {"action": "test", "to": ANN}, token=admin)
    assert tested.status_code == 200, tested.json_body
    [test_mail] = mail
    assert test_mail["Destinations"] == [ANN]
    assert message_from_bytes(test_mail["RawMessage"]["Data"], policy=policy.default)["Subject"] == (
        "Login outage, ann"
    )

    sent = api.post(f"/api/announcements/{announcement}", {"action": "send"}, token=admin)
    assert sent.json_body == {"id": announcement, "queued": 2}

    report = api.get(f"/api/announcements/{announcement}", token=admin).json_body
    assert report["state"] == "sending" and report["counts"]["pending"] == 2
    assert [(r["address"], r["name"], r["state"], r["opens"]) for r in report["recipients"]] == [
        ("dora@customer.test", "Dora", "pending", 0),
        ("newcomer@customer.test", "", "pending", 0),
    ]
    counts = api.get(f"/api/announcements/{announcement}?recipients=0", token=admin).json_body
    assert "recipients" not in counts and counts["total"] == 2 and counts["opened"] == 0


def test_wrong_actions_and_unknown_announcements_say_what_to_do(api):
    admin = token_in_groups(api, ANN, "admin")
    wrong = api.post("/api/announcements", {"action": "send", **DRAFT}, token=admin)
    assert (wrong.status_code, wrong.json_body["reason"]) == (400, "action is preview or create")
    unknown = api.get("/api/announcements/A-nope", token=admin)
    assert unknown.status_code == 400 and "no announcement" in unknown.json_body["reason"]
    empty = api.post("/api/announcements", {"action": "create", **DRAFT, "list": "nobody\n"}, token=admin)
    assert (empty.status_code, empty.json_body["reason"]) == (
        400,
        "the audience is empty: nothing to announce",
    )


def test_the_preview_says_how_many_unauthenticated_requesters_it_left_out(api):
    admin = token_in_groups(api, ANN, "admin")
    deliver(api.stack, make_mail(sender="proven@customer.test", subject="Order"))
    forged = {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL", "source": "mallory@evil.test"}
    deliver(api.stack, make_mail(sender="forged@victim.test", subject="Hello"), **forged)
    draft = {"action": "preview", "subject": "News", "text": "Hello", "statuses": ["new"]}

    shown = api.post("/api/announcements", draft, token=admin).json_body

    assert (shown["audience_count"], shown["left_out_unauthenticated"]) == (1, 1)
    assert shown["sample"]["to"] == "proven@customer.test"
    everyone = api.post(
        "/api/announcements", {**draft, "include_unauthenticated": True}, token=admin
    ).json_body
    assert (everyone["audience_count"], everyone["left_out_unauthenticated"]) == (2, 0)


def test_the_unsubscribe_pages_speak_the_browsers_language_else_the_desks(api, monkeypatch):
    """GIVEN Accept-Language: de THEN the confirmation, the result and the invalid-link page are
    German, with the same security headers and the form posting back to itself; GIVEN a browser
    asking for neither language THEN the desk's default language (INBOUND_DEFAULT_LANGUAGE) applies."""
    from chalicelib.domain.announcements import unsubscribe_token
    from chalicelib.wiring import services

    token = unsubscribe_token(api.stack.secret(), "dora@customer.test")
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}
    form = {**german, "Content-Type": "application/x-www-form-urlencoded"}

    page = api.client.http.get(f"/u/{token}?a=%27%3E%3Cscript%3E", headers=german)
    done = api.client.http.post(f"/u/{token}", headers=form, body="List-Unsubscribe=One-Click")
    invalid = api.client.http.post("/u/forged.token", headers=form, body="List-Unsubscribe=One-Click")

    body = page.body.decode()
    assert page.status_code == 200 and "<html lang='de'>" in body
    assert "<h1>Von Ankündigungen abmelden</h1>" in body and "<button type='submit'>Abmelden</button>" in body
    assert "action='./" in body and "<script>" not in body
    assert (done.status_code, invalid.status_code) == (200, 400)
    assert "Sie sind abgemeldet" in done.body.decode() and "Dieser Link ist ungültig" in invalid.body.decode()
    for answer in (page, done, invalid):
        headers = answer.headers
        assert headers["Content-Security-Policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
        )
        assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
        assert (headers["Referrer-Policy"], headers["Cache-Control"]) == ("no-referrer", "no-store")
        assert (headers["Content-Language"], headers["Vary"]) == ("de", "Accept-Language")

    english = api.client.http.get(f"/u/{token}", headers={"Accept-Language": "en-GB,de;q=0.5"})
    assert "<h1>Unsubscribe from announcements</h1>" in english.body.decode()
    monkeypatch.setenv("INBOUND_DEFAULT_LANGUAGE", "de")
    services.cache_clear()
    french = api.client.http.get(f"/u/{token}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "<h1>Von Ankündigungen abmelden</h1>" in french.body.decode()
    assert ">Unsubscribe<" not in french.body.decode()


def test_a_one_click_unsubscribe_while_ssm_is_out_asks_to_come_again_and_changes_nothing(api):
    """The token is checked under the reply secrets (SSM). Throttled or out, in a container that
    has not read them: a 503 page with Retry-After (a mailbox provider's POST may come again),
    not a 500, and nobody opted out; once SSM answers, the same link works."""
    address = "dora@customer.test"
    token = unsubscribe_token(api.stack.secret(), address, "A-20261208-0a0b0c")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    ssm_outage()

    answer = api.client.http.post(f"/u/{token}", headers=form, body="List-Unsubscribe=One-Click")

    assert answer.status_code == 503 and b"try again" in answer.body
    assert int(answer.headers["Retry-After"]) > 0 and answer.headers["Cache-Control"] == "no-store"
    store = api.stack.services.announcements.ports.store
    assert store.opted_out([address]) == set()
    ssm_outage().fail_from = None  # a container started afresh, SSM answering
    answer = api.client.http.post(f"/u/{token}", headers=form, body="List-Unsubscribe=One-Click")
    assert answer.status_code == 200 and store.opted_out([address]) == {address}
