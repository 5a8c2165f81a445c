"""Hostile input through every field of the staff API (chalice.test.Client, moto's Cognito).

GIVEN a signed-in agent and a ticket, WHEN any body field, query parameter or path
parameter carries CR/LF + `Bcc: victim@evil.test`, a NUL, a megabyte, a value of the wrong
JSON type, or the body is not JSON or not UTF-8, THEN the answer is a 4xx with a JSON
`{"error", "reason"}` (never a 500), or the value is stored as the data it is; and every
mail that leaves goes to the ticket's customer alone, with no header it should not have.

The token checks of every route are in tests/app/test_app_staff_api.py; what the outbound guard does
with a line break it is handed is unit-tested in tests/unit/test_outbound_mail.py.

Over 300 lines on purpose: one table of hostile values and one witness of what leaves (the
Outbox that checks every sent mail's recipients and headers), shared by every field's test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from chalicelib.wiring import services
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.ses_requests import send_raw_request
from tests.support.staff_api import Api

CUSTOMER = "alice@customer.org"
VICTIM = "victim@evil.test"
MEGABYTE = 2**20

HOSTILE = {
    "CRLF Bcc": f"x\r\nBcc: {VICTIM}",
    "LF headers and body": f"x\nBcc: {VICTIM}\nX-Evil: 1\n\nsecond body",
    "NUL": "x\x00y",
    "CR only": f"x\rBcc: {VICTIM}",
    "1 MB": "A" * MEGABYTE,
    "long": "B" * 5000,
}
WRONG_TYPES = {"number": 7, "true": True, "list": ["a"], "object": {"a": 1}}
NOT_JSON = {
    "invalid JSON": '{"text": "unterminated',
    "not UTF-8": b'{"text": "caf\xe9 \xff\xfe"}',
    "array": '["text"]',
    "string": '"text"',
    "NUL byte": b'{"text": "a"}\x00',
    # json.loads recurses once per level: a RecursionError, which no ValueError handler catches
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
}
# Valid JSON, but not text: a lone surrogate (JSON's "\ud800") cannot be encoded to be
# stored or mailed.
LONE_SURROGATE = "\ud800"
# Headers a staff reply may carry; anything else in an outgoing mail is an injection.
ALLOWED_HEADERS = {
    "from",
    "to",
    "cc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "auto-submitted",
    "x-auto-response-suppress",
}


@dataclass
class Outbox:
    """Every SendRawEmail request the app's SES client makes, as it goes on the wire."""

    sent: list[dict] = field(default_factory=list)

    def assert_clean(self, customer: str = CUSTOMER, cc: tuple[str, ...] = ()) -> None:
        """Each mail: to the ticket's people alone, only the headers a reply has, one line each."""
        for request in self.sent:
            assert request["Destinations"] == [customer, *cc], request["Destinations"]
            raw = request["Raw"]
            head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # 7-bit: anything else is encoded
            assert VICTIM not in head.replace(customer, ""), head
            names = [line.split(":", 1)[0].lower() for line in head.split("\r\n") if not line[:1].isspace()]
            assert set(names) <= ALLOWED_HEADERS, names
            assert names.count("subject") == 1 and names.count("to") == 1, names
            mail = message_from_bytes(raw, policy=policy.default)
            assert str(mail["To"]) == customer and mail["Bcc"] is None
            assert (str(mail["Cc"]) if cc else mail["Cc"]) == (", ".join(cc) or None)
            for part in mail.walk():  # the parts' own headers too
                assert {k.lower() for k in part} <= ALLOWED_HEADERS | {"content-disposition"}


@pytest.fixture
def outbox(api: Api) -> Outbox:
    box = Outbox()
    services().outbound.ports.sender.client.meta.events.register(
        "before-call.ses.SendRawEmail", lambda params, **_: box.sent.append(send_raw_request(params["body"]))
    )
    return box


@pytest.fixture
def key_limits(api: Api) -> list[str]:
    """The app's DynamoDB client refuses keys over DynamoDB's limits (2048 bytes partition,
    1024 sort) on reads too, as DynamoDB does; moto checks them on writes only. What it
    refused is listed: a request that reached it would have been a 500 in AWS."""
    refused: list[str] = []

    def check(model: Any, params: dict, **_: Any) -> None:
        keys = [params["Key"]] if "Key" in params else []
        keys += [k for table in (params.get("RequestItems") or {}).values() for k in table.get("Keys", [])]
        for key in keys:
            for name, limit in (("pk", 2048), ("sk", 1024)):
                size = len(key.get(name, {}).get("S", "").encode("utf-8", "surrogatepass"))
                if size > limit:
                    refused.append(f"{model.name} {name} of {size} bytes")
                    raise ClientError(
                        {"Error": {"Code": "ValidationException", "Message": f"{name} too large"}}, model.name
                    )

    # One client serves every DynamoDB adapter of the app (chalicelib/wiring/).
    client = services().ingest.ports.tickets._db
    for operation in ("GetItem", "DeleteItem", "UpdateItem", "BatchGetItem"):
        client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", check)
    return refused


def assert_refused(response: Any, what: str, status: tuple[int, ...] = (400, 404, 409, 413, 422)) -> dict:
    """A 4xx with a JSON error a person can read."""
    assert response.status_code in status, (what, response.status_code, response.body[:300])
    assert response.headers.get("Content-Type", "").startswith("application/json"), (what, response.headers)
    body = json.loads(response.body)
    assert isinstance(body.get("error"), str) and body["error"], (what, body)
    assert isinstance(body.get("reason"), str) and body["reason"], (what, body)
    return body


def send(api: Api, method: str, path: str, body: Any) -> Any:
    """`body` as JSON, or as given when it is already text or bytes."""
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api.token}"}
    return getattr(api.client.http, method.lower())(path, headers=headers, body=payload)


# -- body fields --------------------------------------------------------------------------------


def test_reply_text_and_html_carry_line_breaks_as_body_only_and_the_mail_goes_to_the_customer(api, outbox):
    """Line breaks and `Bcc:` in what staff write are text of the mail, never its header."""
    ticket = new_ticket(api.stack)
    for name, value in HOSTILE.items():
        for body in ({"text": value}, {"text": "see the formatted part", "html": f"<p>{value}</p>"}):
            response = send(api, "POST", f"/api/tickets/{ticket}/reply", body)
            if name == "1 MB":
                assert assert_refused(response, name, (400,))["reason"].startswith("body is larger than")
                continue
            assert response.status_code == 201, (name, response.body[:300])
            assert response.json_body["to"] == [CUSTOMER] and response.json_body["cc"] == []
    outbox.assert_clean()
    assert len(outbox.sent) == 2 * (len(HOSTILE) - 1)
    crlf = message_from_bytes(outbox.sent[0]["Raw"], policy=policy.default)
    assert f"Bcc: {VICTIM}" in crlf.get_body(("plain",)).get_content()  # there, as text


def test_notes_store_hostile_text_verbatim_and_send_nothing(api, outbox):
    ticket = new_ticket(api.stack)
    for name, value in HOSTILE.items():
        response = send(api, "POST", f"/api/tickets/{ticket}/notes", {"text": value})
        if name in ("1 MB",):
            assert_refused(response, name, (400,))
            continue
        assert response.status_code == 201, (name, response.body[:300])
    notes = [
        m["text"] for m in api.get(f"/api/tickets/{ticket}").json_body["messages"] if m["kind"] == "note"
    ]
    assert notes == [v for k, v in HOSTILE.items() if k != "1 MB"]
    assert outbox.sent == []


# (route, field, the other fields it needs) for every field a staff request body has
BODY_FIELDS = [
    ("POST", "/reply", "text", {}),
    ("POST", "/reply", "html", {"text": "hello"}),
    ("POST", "/notes", "text", {}),
    ("PATCH", "", "status", {}),
    ("PATCH", "", "assignee", {}),
    ("PATCH", "", "priority", {}),
    ("PATCH", "", "tags", {}),
    ("POST", "/split", "message_key", {}),
    ("POST", "/merge", "into", {}),
    ("POST", "/participants", "address", {}),
    ("POST", "/participants/remove", "address", {}),
]


@pytest.mark.parametrize(
    ("method", "suffix", "name", "others"),
    BODY_FIELDS,
    ids=[f"{m} {s or '/'} {f}" for m, s, f, _ in BODY_FIELDS],
)
def test_wrong_json_types_and_bodies_that_are_not_json_get_a_clear_400(
    api, outbox, method, suffix, name, others
):
    ticket = new_ticket(api.stack)
    path = f"/api/tickets/{ticket}{suffix}"
    before = api.get(f"/api/tickets/{ticket}").json_body
    for kind, value in WRONG_TYPES.items():
        if name == "tags" and kind == "list":
            value = [7]
        reason = assert_refused(send(api, method, path, {**others, name: value}), kind, (400,))["reason"]
        assert repr(name) in reason, reason
    for kind, raw in NOT_JSON.items():
        assert_refused(send(api, method, path, raw), kind, (400,))
    value = [LONE_SURROGATE] if name == "tags" else f"a{LONE_SURROGATE}"
    reason = assert_refused(send(api, method, path, {**others, name: value}), "lone surrogate", (400,))[
        "reason"
    ]
    assert repr(name) in reason, reason
    assert api.get(f"/api/tickets/{ticket}").json_body == before
    assert outbox.sent == []


# The fields that name something (a status, an agent, a ticket, a message): hostile strings
# are refused, or (tags, free labels) kept as the data they are.
NAME_FIELDS = [f for f in BODY_FIELDS if f[2] not in ("text", "html")]


@pytest.mark.parametrize(
    ("method", "suffix", "name", "others"),
    NAME_FIELDS,
    ids=[f"{m} {s or '/'} {f}" for m, s, f, _ in NAME_FIELDS],
)
def test_hostile_strings_in_fields_that_name_things_are_refused(api, outbox, method, suffix, name, others):
    ticket = new_ticket(api.stack)
    deliver(api.stack, make_mail(subject=f"Re: [{ticket}] more"))  # a second message, so split could work
    path = f"/api/tickets/{ticket}{suffix}"
    before = api.get(f"/api/tickets/{ticket}").json_body
    accepted = []
    for kind, value in HOSTILE.items():
        response = send(api, method, path, {**others, name: [value] if name == "tags" else value})
        if response.status_code < 300:
            accepted.append(kind)
            continue
        assert_refused(response, kind)
    assert accepted == []
    after = api.get(f"/api/tickets/{ticket}").json_body
    assert after == before, "a refused request changed the ticket"
    assert api.stack.tickets.get_ticket(ticket).message_count == 2
    assert outbox.sent == []


# -- query and path parameters ------------------------------------------------------------------

QUERY_PARAMS = [
    ("/api/tickets", "mailbox"),
    ("/api/tickets", "status"),
    ("/api/tickets", "assignee"),
    ("/api/tickets", "tag"),
    ("/api/tickets", "cursor"),
    ("/api/tickets", "limit"),
    ("/api/tickets/next", "mailbox"),
    ("/api/suspended", "mailbox"),
]


@pytest.mark.parametrize(("route", "param"), QUERY_PARAMS, ids=[f"{r}?{p}" for r, p in QUERY_PARAMS])
def test_hostile_query_parameters_are_refused_or_match_nothing(api, outbox, route, param):
    ticket = new_ticket(api.stack)
    method = "POST" if route.endswith("/next") else "GET"
    encoded = {kind: quote(value, safe="") for kind, value in HOSTILE.items()}
    for kind, value in {**encoded, "not UTF-8": "%FF%FE", "percent junk": "%zz%"}.items():
        response = api.call(method, f"{route}?{param}={value}")
        if response.status_code == 200 and param in ("tag", "assignee"):  # filters: match nothing
            assert response.json_body["tickets"] == [], kind
            continue
        assert_refused(response, kind, (400,))
    assert api.stack.tickets.get_ticket(ticket).assignee == "", "next claimed something it should not"
    assert outbox.sent == []


TICKET_ROUTES = [
    ("GET", "", None),
    ("PATCH", "", {"status": "open"}),
    ("POST", "/reply", {"text": "hello"}),
    ("POST", "/notes", {"text": "hello"}),
    ("POST", "/split", {"message_key": "x"}),
    ("POST", "/merge", {"into": "T-1"}),
    ("POST", "/participants", {"address": "bob@customer.org"}),
    ("POST", "/participants/remove", {"address": "bob@customer.org"}),
    ("GET", "/history", None),
    ("POST", "/uploads", {"filename": "a.pdf", "size": 10}),
    ("POST", "/forward", {"to": "engineering@partner.test"}),
    ("GET", "/held/0123456789abcdef0123456789abcdef", None),
    ("DELETE", "/held/0123456789abcdef0123456789abcdef", None),
]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    TICKET_ROUTES,
    ids=[f"{m} /api/tickets/{{id}}{s}" for m, s, _ in TICKET_ROUTES],
)
def test_hostile_ticket_ids_in_the_path_are_not_found(api, outbox, key_limits, method, suffix, body):
    ticket = new_ticket(api.stack)
    ids = {
        **{kind: quote(v, safe="") for kind, v in HOSTILE.items()},
        "id then CRLF": quote(f"{ticket}\r\nBcc: {VICTIM}", safe=""),
        "id then NUL": quote(f"{ticket}\x00", safe=""),
        "lower case and padding": quote(f" {ticket.lower()} ", safe=""),
        "traversal": quote(f"../{ticket}", safe=""),
        "not UTF-8": "T-%FF%FE",
        "number overflow": "T-" + "9" * 40,
    }
    for kind, value in ids.items():
        response = send(api, method, f"/api/tickets/{value}{suffix}", body if body is not None else "")
        assert_refused(response, kind, (400, 404))
    assert api.stack.tickets.get_ticket(ticket).message_count == 1
    assert outbox.sent == [] and key_limits == []


@pytest.mark.parametrize("action", ["release", "discard"])
def test_hostile_suspended_mailboxes_and_keys_are_refused(api, outbox, key_limits, action):
    suspended = deliver(api.stack, make_mail(subject="Vacation", headers={"Auto-Submitted": "auto-replied"}))
    [item] = api.stack.suspended.suspended("support")
    for kind, value in HOSTILE.items():
        for mailbox, key in (
            (quote(value, safe=""), quote(item.key, safe="")),
            ("support", quote(value, safe="")),
        ):
            response = send(api, "POST", f"/api/suspended/{mailbox}/{key}/{action}", "")
            assert_refused(response, kind, (400, 404))
    [still] = api.stack.suspended.suspended("support")
    assert still.ses_message_id == suspended.ses_message_id
    assert outbox.sent == [] and key_limits == []


# -- mail that carries encoded line breaks ------------------------------------------------------

ENCODED_CRLF = f"=?utf-8?q?Hi=0D=0ABcc:_{VICTIM}?="


def raw_mail(subject: str, sender: str, message_id: str) -> bytes:
    """Written out by hand: `email` would decode the encoded word and refuse the line break."""
    return (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("display", "requester"),
    [
        (f"=?utf-8?q?Hi=0D=0ABcc=3A_{VICTIM.replace('@', '=40').replace('.', '=2E')}?=", CUSTOMER),
        # `:` and `@` are not allowed raw in an encoded word of a phrase: parsers split the
        # line at them and take `_victim@evil.test?=` for the address. The sender wrote it.
        (ENCODED_CRLF, f"_{VICTIM}?="),
    ],
    ids=["well-formed encoded word", "encoded word with raw specials"],
)
def test_a_reply_to_a_sender_whose_display_name_encodes_crlf_leaves_clean(api, outbox, display, requester):
    """The customer's name never reaches a header we write: the reply goes to the addresses
    the ticket shows staff (requester, then the other participants), with one line per header."""
    raw = raw_mail("Printer on fire", f"{display} <{CUSTOMER}>", "<name-crlf@customer.org>")
    outcome = deliver(api.stack, raw)
    ticket = api.get(f"/api/tickets/{outcome.ticket}").json_body
    assert ticket["ticket"]["requester"] == ticket["messages"][0]["sender"] == requester
    # A From that parses as two mailboxes is never authenticated (SECURITY.md): it adds nobody.
    others = tuple(ticket["ticket"]["participants"])
    assert others == ()

    response = send(api, "POST", f"/api/tickets/{outcome.ticket}/reply", {"text": "We are on it."})

    assert response.status_code == 201, response.body
    [sent] = outbox.sent
    outbox.assert_clean(requester, others)
    assert message_from_bytes(sent["Raw"], policy=policy.default)["In-Reply-To"] == "<name-crlf@customer.org>"


def test_a_reply_to_a_subject_that_encodes_crlf_goes_out_with_the_break_as_a_space(api, outbox):
    """The reply's Subject is built from the customer's: a line break decoded from it becomes
    a space, so the ticket can be answered and no second header line leaves (the would-be
    Bcc stays words in the Subject)."""
    raw = raw_mail(ENCODED_CRLF, CUSTOMER, "<subject-crlf@customer.org>")
    outcome = deliver(api.stack, raw)
    assert "\n" in api.get(f"/api/tickets/{outcome.ticket}").json_body["ticket"]["subject"]

    response = send(api, "POST", f"/api/tickets/{outcome.ticket}/reply", {"text": "We are on it."})

    assert response.status_code == 201, response.body
    [sent] = outbox.sent
    assert sent["Destinations"] == [CUSTOMER]
    head = sent["Raw"].split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [line.split(":", 1)[0].lower() for line in head.split("\r\n") if not line[:1].isspace()]
    assert set(names) <= ALLOWED_HEADERS and names.count("subject") == 1, names
    mail = message_from_bytes(sent["Raw"], policy=policy.default)
    assert mail["Bcc"] is None and str(mail["To"]) == CUSTOMER
    assert mail["Subject"] == f"Re: Hi Bcc: {VICTIM} [{outcome.ticket}]"


SUB_RESOURCES = [
    ("GET", "/api/tickets/{ticket}/held/{id}", None),
    ("DELETE", "/api/tickets/{ticket}/held/{id}", None),
    ("PUT", "/api/replies/support/{id}", {"title": "t", "body": "b"}),
    ("DELETE", "/api/replies/support/{id}", None),
    ("PUT", "/api/replies/{id}/r1", {"title": "t", "body": "b"}),
]


@pytest.mark.parametrize(
    ("method", "route", "body"), SUB_RESOURCES, ids=[f"{m} {r}" for m, r, _ in SUB_RESOURCES]
)
def test_hostile_ids_of_held_and_saved_replies_are_refused(api, outbox, key_limits, method, route, body):
    ticket = new_ticket(api.stack)
    ids = {
        **{kind: quote(v, safe="") for kind, v in HOSTILE.items()},
        "traversal": quote("../x", safe=""),
        "not UTF-8": "%FF%FE",
    }
    for kind, value in ids.items():
        response = send(api, method, route.format(ticket=ticket, id=value), body if body is not None else "")
        assert_refused(response, kind, (400, 403, 404))
    assert outbox.sent == [] and key_limits == []


@pytest.mark.parametrize(
    "raw",
    [
        NOT_JSON["nested 100,000 deep"],
        json.dumps({"email": f"a{LONE_SURROGATE}@example.com", "password": "x"}),
    ],
    ids=["nested 100,000 deep", "lone surrogate"],
)
def test_the_public_sign_in_answers_a_body_it_cannot_read_with_a_400(api, raw):
    """The console's sign-in proxy reads its JSON as the API does, before any token."""
    response = api.client.http.post("/console/login", headers={"Content-Type": "application/json"}, body=raw)
    assert_refused(response, raw[:20], (400,))
