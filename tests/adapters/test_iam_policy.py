"""The stages' hand-written IAM policies against every AWS call the functions make.

The functions (`ingest`, `record_feedback`, `sweep_incoming` and the API handler with
the staff API and console) run through chalice.test.Client under the dev stage's
configuration, against an embedded moto stack provisioned as stage `dev`. While they
run, every boto3 session created in the process records each API call it makes
(botocore's `before-parameter-build` event: the call's own parameters, before they
become HTTP; presigned links included). `tests/iam_policy.py` turns each call into the
(action, resource ARN) pairs IAM authorizes and evaluates them against
`.chalice/policy-<stage>.json` (prod: the same calls with the stage renamed).

It fails on a call the policy does not allow, on a grant no call used (unless
NOT_EXERCISED below says who else uses it), and on a grant wider than it has to be.

Outside the policy by design: Cognito sign-in is unsigned (public operations), the
JWKS is fetched over HTTPS, the reply secret is a SecureString under the AWS managed
key aws/ssm (its key policy admits the account's principals through SSM), and the
queues use SQS-managed encryption, so neither SSM nor the event source needs kms:Decrypt.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS

from chalicelib.services.queue_batch import BatchFailed
from chalicelib.wiring import services
from inbound.chalice_config import stage_environment
from inbound.embedded import REGION, embedded_stack
from tests.adapters.test_feedback import bounce_note, complaint_note
from tests.events import sqs_event
from tests.iam_policy import UNSCOPABLE, Need, Policy, Unmapped, needs, restage
from tests.mail_factory import make_mail, received_notification, ses_id
from tests.staff_auth import PASSWORD, jwks_server, moto_jwks, sign_in

REPO = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")
ACCOUNT = "123456789012"  # moto's account
AGENT = "ann@example.com"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4

# Grants no function call can show, with who uses them. Written for dev; prod's are
# the same with the stage renamed. An entry that the scenario does exercise, or that
# the policy no longer has, fails the test: the list stays exact.
_INGEST_QUEUE = "arn:aws:sqs:*:*:inbound-dev-ingest"
_FEEDBACK_QUEUE = "arn:aws:sqs:*:*:inbound-dev-feedback"
_LOG_GROUPS = "arn:aws:logs:*:*:log-group:/aws/lambda/inbound-dev-*"
_EVENT_SOURCE = "the SQS event source mapping polls the queue with the function's role"
_RUNTIME_LOGS = "the Lambda runtime writes each function's log group and streams with the role"
NOT_EXERCISED: dict[tuple[str, str], str] = {
    ("logs:CreateLogGroup", _LOG_GROUPS): _RUNTIME_LOGS,
    ("logs:CreateLogStream", _LOG_GROUPS): _RUNTIME_LOGS,
    ("logs:PutLogEvents", _LOG_GROUPS): _RUNTIME_LOGS,
    # Lambda's documented minimum for an SQS event source is exactly these three.
    ("sqs:ReceiveMessage", _INGEST_QUEUE): _EVENT_SOURCE,
    ("sqs:DeleteMessage", _INGEST_QUEUE): _EVENT_SOURCE,
    ("sqs:GetQueueAttributes", _INGEST_QUEUE): _EVENT_SOURCE,
    ("sqs:ReceiveMessage", _FEEDBACK_QUEUE): _EVENT_SOURCE,
    ("sqs:DeleteMessage", _FEEDBACK_QUEUE): _EVENT_SOURCE,
    ("sqs:GetQueueAttributes", _FEEDBACK_QUEUE): _EVENT_SOURCE,
}


def chalice_config() -> dict[str, Any]:
    return json.loads((REPO / ".chalice" / "config.json").read_text())


def policy_document(stage: str) -> dict[str, Any]:
    return json.loads((REPO / ".chalice" / f"policy-{stage}.json").read_text())


def domain_of(stage: str) -> str:
    return chalice_config()["stages"][stage]["environment_variables"]["INBOUND_DOMAIN"]


# -- recording ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    service: str  # botocore's name: s3, dynamodb, sesv2, ...
    operation: str
    params: dict[str, Any]
    signed: bool  # False: a public operation or an unsigned client; IAM is not asked
    presigned: bool  # a link signed now, followed later by whoever holds it


class CallRecorder:
    """Records the calls of every boto3 session created while installed.

    The functions build their own session (`services()` takes none), so the hook goes
    where botocore looks for the handlers of each new session. Sessions made before
    (the stack's own, which the tests use to deliver mail and look) are not recorded.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.throttle: str = ""  # "service.Operation" to refuse once, as AWS does when throttling

    def _record(self, params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        context = context or {}
        config = context.get("client_config")
        unsigned = model.auth_type == "none" or getattr(config, "signature_version", None) is UNSIGNED
        kept = {k: v for k, v in params.items() if k not in ("Body", "RawMessage")}
        presigned = bool(context.get("is_presign_request"))
        service = model.service_model.service_name
        self.calls.append(Call(service, model.name, kept, not unsigned, presigned))
        if self.throttle == f"{service}.{model.name}":
            self.throttle = ""
            raise ClientError({"Error": {"Code": "Throttling", "Message": "injected"}}, model.name)

    @contextlib.contextmanager
    def installed(self) -> Iterator[CallRecorder]:
        spec = ("before-parameter-build", self._record)
        BUILTIN_HANDLERS.append(spec)
        try:
            yield self
        finally:
            BUILTIN_HANDLERS.remove(spec)


# -- the scenario --------------------------------------------------------------------


def _delivery_failure(recipient: str) -> bytes:
    """A DSN (RFC 3464) from the recipient's mail server."""
    return (
        "From: Mail Delivery Subsystem <mailer-daemon@mx.customer.org>\r\n"
        "To: support@example.com\r\nSubject: Delivery Status Notification (Failure)\r\n"
        "Message-ID: <dsn-iam@mx.customer.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--B--\r\n"
    ).encode()


@dataclass
class Scenario:
    calls: list[Call]
    seen: dict[str, Any] = field(default_factory=dict)

    def needs(self, stage: str) -> list[Need]:
        found = []
        for call in self.calls:
            if call.signed:
                for need in needs(call.service, call.operation, call.params, REGION, ACCOUNT):
                    found.append(Need(need.action, restage(need.resource, "dev", stage), need.call))
        return found


class Run:
    """The functions' paths, each through its Chalice handler, with what a user would see."""

    def __init__(self, stack: Any, client: Any, token: str, env: Any, recorder: CallRecorder) -> None:
        self.stack, self.client, self.token, self.env, self.recorder = stack, client, token, env, recorder
        self.seen: dict[str, Any] = {}
        self.ticket = self.reply_key = self.other_ticket = ""  # made by ingest(), used by the API
        self.ingest_arn = stack.outputs["INBOUND_INGEST_QUEUE_ARN"]
        self.feedback_arn = stack.outputs["INBOUND_FEEDBACK_QUEUE_ARN"]

    # -- helpers
    def _ingest(self, body: str) -> dict[str, Any]:
        self.client.lambda_.invoke("ingest", sqs_event([body], self.ingest_arn))
        message_id = json.loads(body)["mail"]["messageId"]
        return {**self.stack.tickets.get_delivery(message_id), "ses_id": message_id}

    def _stored(self, raw: bytes, **verdicts: Any) -> str:
        """SES stores the raw mail (with the stack's own session) and notifies: the SQS body."""
        message_id = ses_id()
        self.stack.store.put_incoming(message_id, raw)
        return received_notification(message_id, self.stack.settings.mail_bucket, **verdicts)

    def _inline(self, raw: bytes) -> str:
        """The notification of an SNS action: the mail travels in it, nothing is in S3 yet."""
        note = json.loads(received_notification(ses_id(), self.stack.settings.mail_bucket))
        note["receipt"]["action"] = {
            "type": "SNS",
            "topicArn": self.stack.outputs["INBOUND_RECEIVED_TOPIC_ARN"],
        }
        note["receipt"]["action"]["encoding"] = "BASE64"
        note["content"] = base64.b64encode(raw).decode()
        return json.dumps(note)

    def _kinds(self, ticket: str) -> list[str]:
        return [m.kind for m in self.stack.tickets.messages(ticket)]

    def _api(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        payload = json.dumps(body) if body is not None else None
        return getattr(self.client.http, method.lower())(path, headers=headers, body=payload)

    # -- the paths
    def ingest(self) -> None:
        seen = self.seen
        first = self._stored(
            make_mail(
                message_id="<iam-1@customer.org>",
                body="line of text\n" * 7800,  # over the inline limit: the body goes to S3
                attachments=(("invoice.pdf", "application/pdf", PDF),),
            )
        )
        # SES throttles the acknowledgement: the batch fails, SQS delivers it again.
        self.recorder.throttle = "ses.SendRawEmail"
        with pytest.raises(BatchFailed):
            self._ingest(first)
        created = self.stack.tickets.get_delivery(json.loads(first)["mail"]["messageId"])
        ticket = created["ticket"]
        seen["new mail"] = (created["outcome"], "acknowledgement" in self._kinds(ticket))
        seen["acknowledged on redelivery"] = "acknowledgement" in self._kinds(self._ingest(first)["ticket"])
        messages = len(self._kinds(ticket))
        self._ingest(first)  # SQS delivers at least once
        seen["redelivery"] = len(self._kinds(ticket)) - messages
        reply = self._ingest(
            self._stored(make_mail(subject="Re: Printer", in_reply_to="<iam-1@customer.org>"))
        )
        seen["reply"] = (reply["outcome"], reply["ticket"] == ticket)
        inline = self._ingest(self._inline(make_mail(subject="Delivered inline")))
        seen["inline"], self.other_ticket = inline["outcome"], inline["ticket"]
        # Bob's acknowledgement bounces back as mail: Bob goes on the suppression list.
        self._ingest(self._stored(make_mail(subject="Broken scanner", sender="Bob <bob@customer.org>")))
        seen["bounce"] = self._ingest(self._stored(_delivery_failure("bob@customer.org")))["outcome"]
        spam = self._stored(make_mail(subject="Cheap pills"), spam="FAIL")
        seen["spam"] = (self._ingest(spam)["outcome"], self._ingest(spam)["outcome"])
        for subject in ("Out of office", "Vacation"):
            self._ingest(self._stored(make_mail(subject=subject, headers={"Auto-Submitted": "auto-replied"})))
        self.ticket, self.reply_key = ticket, reply["ses_id"]

    def feedback(self) -> None:
        notes = [bounce_note("bounced@customer.org"), complaint_note("complained@customer.org")]
        self.client.lambda_.invoke("record_feedback", sqs_event(notes, self.feedback_arn))

    def sweep(self) -> dict[str, Any]:
        event = self.client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [], REGION)
        return self.client.lambda_.invoke("sweep_incoming", event).payload

    def console(self) -> None:
        self.seen["console config"] = self.client.http.get("/console/config.json").status_code
        login = {"email": AGENT, "password": PASSWORD}
        headers = {"Content-Type": "application/json"}
        response = self.client.http.post("/console/login", headers=headers, body=json.dumps(login))
        self.seen["sign-in"] = response.status_code

    def staff_api(self) -> None:
        ticket, seen = self.ticket, self.seen
        seen["queue"] = len(self._api("GET", "/api/tickets?mailbox=support").json_body["tickets"])
        claimed = self._api("POST", "/api/tickets/next?mailbox=support")
        seen["claimed"] = (claimed.status_code, claimed.json_body["assignee"])
        seen["mine"] = len(self._api("GET", "/api/tickets?assignee=me").json_body["tickets"])
        first = self._api("GET", f"/api/tickets/{ticket}").json_body["messages"][0]
        seen["read"] = (len(first["text"]) > 100_000, [a["filename"] for a in first["attachments"]])
        seen["link"] = all(a["url"].startswith("https://") for a in first["attachments"])
        changes = {"priority": "high", "tags": ["printer"], "status": "pending"}
        seen["update"] = self._api("PATCH", f"/api/tickets/{ticket}", changes).status_code
        seen["staff reply"] = self._api(
            "POST", f"/api/tickets/{ticket}/reply", {"text": "On it."}
        ).status_code
        seen["note"] = self._api("POST", f"/api/tickets/{ticket}/notes", {"text": "Called them."}).status_code
        split = self._api("POST", f"/api/tickets/{ticket}/split", {"message_key": self.reply_key})
        seen["split"] = split.status_code
        merge = self._api("POST", f"/api/tickets/{split.json_body['id']}/merge", {"into": ticket})
        seen["merge"] = merge.status_code
        held = self._api("GET", "/api/suspended?mailbox=support").json_body["suspended"]
        keep, drop = (h["key"].replace("#", "%23") for h in held)
        seen["release"] = self._api("POST", f"/api/suspended/support/{keep}/release").json_body["outcome"]
        seen["discard"] = self._api("POST", f"/api/suspended/support/{drop}/discard").status_code
        seen["close"] = self._api("PATCH", f"/api/tickets/{ticket}", {"status": "closed"}).status_code

    def last_chances(self) -> None:
        """Another configuration: the sweep's last attempt, and an account still in the SES
        sandbox (moto cannot say so), where a reply first asks whether its recipient is verified."""
        self.env.setenv("INBOUND_SWEEP_MAX_ATTEMPTS", "0")
        self.env.setenv("INBOUND_SES_SANDBOX", "true")
        services.cache_clear()
        self.stack.store.put_incoming("iamlostnotification2", make_mail(subject="Given up"))
        self.seen["given up"] = self.sweep()
        refused = self._api("POST", f"/api/tickets/{self.other_ticket}/reply", {"text": "Sandboxed."})
        self.seen["sandboxed reply"] = (refused.status_code, refused.json_body.get("error"))


@pytest.fixture(scope="module")
def scenario() -> Iterator[Scenario]:
    from chalice.test import Client

    with (
        embedded_stack(stage="dev", domain=domain_of("dev")) as stack,
        jwks_server(moto_jwks()) as (jwks_url, _),
        pytest.MonkeyPatch.context() as env,
    ):
        # What `inbound provision --write-config` adds to the stage's environment;
        # Chalice's test client adds the stage's own variables from config.json.
        for name, value in stage_environment(stack.outputs).items():
            env.setenv(name, value)
        env.setenv("INBOUND_JWKS_URL", jwks_url)
        env.setenv("INBOUND_SWEEP_AFTER_MINUTES", "0")  # the sweeper takes what the test leaves
        pool, app_client = stack.outputs["INBOUND_USER_POOL_ID"], stack.outputs["INBOUND_USER_POOL_CLIENT_ID"]
        token = sign_in(stack.client("cognito-idp"), pool, app_client, AGENT)["id"]
        services.cache_clear()
        from app import app

        recorder = CallRecorder()
        try:
            with recorder.installed(), Client(app, stage_name="dev", project_dir=str(REPO)) as client:
                run = Run(stack, client, token, env, recorder)
                run.ingest()
                run.feedback()
                stack.store.put_incoming("iamlostnotification1", make_mail(subject="Lost notification"))
                run.seen["swept"] = run.sweep()
                run.console()
                run.staff_api()
                run.last_chances()
                run.seen["suppressed"] = {
                    e.address: e.reason for e in stack.services.suppression.list()
                }  # the stack's own session: not recorded
        finally:
            services.cache_clear()
        yield Scenario(recorder.calls, run.seen)


# -- the tests -----------------------------------------------------------------------


def test_the_scenario_went_down_every_path(scenario):
    """GIVEN the functions driven through their handlers THEN each path did what a user
    would see, so the recorded calls are those of working code, not of error exits."""
    seen = scenario.seen
    assert seen["new mail"] == ("created", False) and seen["acknowledged on redelivery"]
    assert (seen["redelivery"], seen["reply"], seen["inline"]) == (0, ("threaded", True), "created")
    assert (seen["bounce"], seen["spam"]) == ("bounce", ("quarantined", "quarantined"))
    assert seen["suppressed"] == {
        "bob@customer.org": "BOUNCE",
        "bounced@customer.org": "BOUNCE",
        "complained@customer.org": "COMPLAINT",
    }
    assert seen["swept"]["redriven"] == 1 and seen["given up"]["quarantined"] == 1
    assert (seen["console config"], seen["sign-in"]) == (200, 200)
    assert seen["queue"] >= 1 and seen["claimed"] == (200, AGENT) and seen["mine"] >= 1
    assert seen["read"] == (True, ["invoice.pdf"]) and seen["link"]
    assert (seen["update"], seen["staff reply"], seen["note"]) == (200, 201, 201)
    assert (seen["split"], seen["merge"]) == (201, 200)
    assert (seen["release"], seen["discard"]) == ("created", 204)
    assert seen["sandboxed reply"] == (409, "sandbox") and seen["close"] == 200
    services_called = {c.service for c in scenario.calls if c.signed}
    assert services_called == {"s3", "dynamodb", "ses", "sesv2", "sns", "ssm"}
    assert any(c.presigned for c in scenario.calls)


@pytest.mark.parametrize("stage", STAGES)
def test_every_call_the_functions_make_is_allowed(scenario, stage):
    policy = Policy(policy_document(stage))
    refused = sorted(
        {f"{n.action} on {n.resource} ({n.call})" for n in scenario.needs(stage) if not policy.allows(n)}
    )
    assert not refused, f"policy-{stage}.json does not allow:\n  " + "\n  ".join(refused)


@pytest.mark.parametrize("stage", STAGES)
def test_every_grant_is_used_by_a_call_or_listed_with_who_uses_it(scenario, stage):
    policy = Policy(policy_document(stage))
    used = {grant for need in scenario.needs(stage) for grant in policy.allowing(need)}
    listed = {(a, restage(r, "dev", stage)) for a, r in NOT_EXERCISED}
    granted = {(g.action, g.resource) for g in policy.grants if g.effect == "Allow"}
    unused = sorted(
        str(g)
        for g in policy.grants
        if g.effect == "Allow" and g not in used and (g.action, g.resource) not in listed
    )
    exercised = sorted(
        f"{a} on {r}" for a, r in listed if any((g.action, g.resource) == (a, r) for g in used)
    )
    stale = sorted(f"{a} on {r}" for a, r in listed - granted)
    assert not unused, f"policy-{stage}.json grants what no call used:\n  " + "\n  ".join(unused)
    assert not exercised, "NOT_EXERCISED lists grants the scenario uses:\n  " + "\n  ".join(exercised)
    assert not stale, f"NOT_EXERCISED lists grants policy-{stage}.json lacks:\n  " + "\n  ".join(stale)
    conditional = sorted({f"{g} if {json.dumps(g.condition)}" for g in used if g.condition})
    print(f"{stage}: {len(used)} grants used, conditions taken as met: {conditional or 'none'}")


@pytest.mark.parametrize("stage", STAGES)
def test_no_grant_is_wider_than_its_resources(stage):
    """No wildcard action; Resource "*" only for actions IAM cannot scope; every other
    resource names this stage's resources (or its sending domain); no bucket-name `*`."""
    domain = domain_of(stage)
    wide = []
    for grant in Policy(policy_document(stage)).grants:
        if "*" in grant.action or "?" in grant.action:
            wide.append(f"{grant}: spell the actions out")
        if grant.resource == "*":
            if grant.action not in UNSCOPABLE:
                wide.append(f"{grant}: {grant.action} can name its resources")
        elif not (
            re.search(rf"inbound[-/]{stage}(?=[-/]|$)", grant.resource)
            or grant.resource.endswith(f":identity/{domain}")
        ):
            wide.append(f"{grant}: names no resource of stage {stage}")
        if grant.resource.startswith("arn:aws:s3:::") and "*" in grant.resource[13:].partition("/")[0]:
            wide.append(f"{grant}: `*` in a bucket name also matches '/' and other buckets")
    assert not wide, "\n  ".join(["too wide:", *wide])


def test_prod_is_dev_with_the_stage_renamed():
    config = chalice_config()
    assert config["autogen_policy"] is False
    assert {s: config["stages"][s]["iam_policy_file"] for s in STAGES} == {
        s: f"policy-{s}.json" for s in STAGES
    }
    assert policy_document("prod") == restage(policy_document("dev"), "dev", "prod")


def test_the_evaluator_denies_by_default_and_knows_its_limits():
    policy = Policy(
        {
            "Statement": [
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b-????/in/*",
                },
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-1234/in/secret"},
            ]
        }
    )
    assert policy.allows(Need("S3:getobject", "arn:aws:s3:::b-1234/in/x", "t"))  # actions ignore case
    assert not policy.allows(Need("s3:GetObject", "arn:aws:s3:::b-12345/in/x", "t"))  # ? is one character
    assert not policy.allows(Need("s3:PutObject", "arn:aws:s3:::b-1234/in/x", "t"))  # denied by default
    assert not policy.allows(Need("s3:GetObject", "arn:aws:s3:::b-1234/in/secret", "t"))  # explicit deny
    copy = needs(
        "s3",
        "CopyObject",
        {"Bucket": "b", "Key": "to", "CopySource": {"Bucket": "b", "Key": "from"}},
        REGION,
        ACCOUNT,
    )
    assert [(n.action, n.resource) for n in copy] == [
        ("s3:GetObject", "arn:aws:s3:::b/from"),
        ("s3:PutObject", "arn:aws:s3:::b/to"),
    ]
    with pytest.raises(Unmapped):
        needs("kinesis", "PutRecord", {}, REGION, ACCOUNT)
