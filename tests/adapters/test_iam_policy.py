"""Each function's generated IAM policy against every AWS call that function makes.

Chalice gives each Lambda function its own role (autogen_policy is off) whose one
inline policy is the function's `iam_policy_file` in .chalice/config.json:
`.chalice/policy-<stage>-<function>.json`, written by `inbound provision --write-config`
(inbound/stage/iam_policies.py). Here the stage is provisioned for a domain and an account that
are not the defaults (acme-support.test, account 210987654321), and its configuration
and policies are written into a copy of the project exactly as `--write-config` writes
them. The functions (`ingest`, `record_feedback`, `sweep_incoming` and `api_handler`,
the staff API and console behind API Gateway) run through chalice.test.Client under that
copy's dev stage, against the embedded moto stack, one invocation at a time. While they run, every
boto3 session created in the process records each API call it makes (botocore's
`before-parameter-build` event: the call's own parameters, before they become HTTP;
presigned links included), with the function being invoked when it was made, and
AWS's HTTP status. A function invoked after another starts cold (the services are built
again), as in Lambda, where functions share no container: what a container fetches once
is fetched, and recorded, by each function. `tests/support/iam_policy.py` turns each call into
the (action, resource ARN) pairs IAM authorizes (a read of a missing S3 key also needs
s3:ListBucket, or S3 answers 403 instead of the 404 the code looks for) and evaluates
them against the policy of the function that made it (prod: the same calls with the
stage renamed), conditions on `ses:FromAddress` included. Error paths are part of the
scenario: SES throttling a send, a missing body object (S3's 404, which needs
s3:ListBucket), SES sandbox sends, whose recipient identity SES authorizes too.

It fails on a call its function's policy does not allow, on a grant that function
never used (unless NOT_EXERCISED below says who else uses it with that role), on a
grant wider than it has to be, and on a call made outside any invocation.

Outside the policy by design: Cognito sign-in is unsigned (public operations), the
JWKS is fetched over HTTPS, the reply secret is a SecureString under the AWS managed
key aws/ssm (its key policy admits the account's principals through SSM), and the
queues use SQS-managed encryption, so neither SSM nor the event source needs kms:Decrypt.

Over 300 lines on purpose: one recorded scenario (every path of every function, run once)
and the checks that read it; apart, the scenario's calls would be read across modules.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS
from chalice.config import Config
from moto.ses.models import ses_backends

from chalicelib.adapters.s3_mail_store import archive_key
from chalicelib.domain.announcements import Recipient, unsubscribe_token
from chalicelib.services.queue_batch import BatchFailed
from chalicelib.wiring import services
from inbound.local.embedded import REGION, embedded_stack
from inbound.local.moto_sesv2 import lease_dedicated_ips
from inbound.stage.chalice_config import write_stage_config, write_stage_policies
from tests.support.events import sqs_event
from tests.support.iam_policy import UNSCOPABLE, Need, Policy, Unmapped, needs, restage
from tests.support.mail_factory import make_mail as _make_mail
from tests.support.mail_factory import received_notification, ses_id, stored_by_ses
from tests.support.ses_feedback import bounce_note, complaint_note
from tests.support.staff_auth import PASSWORD, jwks_server, moto_jwks, sign_in

REPO = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")
# Not moto's default account nor the config's example.com: a policy that hard-codes
# either fails here.
ACCOUNT = "210987654321"
DOMAIN = "acme-support.test"
SUPPORT = f"support@{DOMAIN}"
AGENT = "ann@example.com"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4

# The Lambda functions app.py declares, by the names Chalice gives them (and their roles,
# `inbound-<stage>-<function>`). `api_handler` serves every route of API Gateway.
API_HANDLER = "api_handler"
FUNCTIONS = ("ingest", "record_feedback", "sweep_incoming", API_HANDLER, "send_announcement", "send_reply")


def make_mail(**kwargs: Any) -> bytes:
    return _make_mail(**{"to": SUPPORT, **kwargs})


def lambda_name(function: str, stage: str = "dev") -> str:
    """The deployed function's name: Chalice calls the API handler after the app and stage only."""
    return f"inbound-{stage}" if function == API_HANDLER else f"inbound-{stage}-{function}"


# Grants no function call can show, with who uses them with the function's role.
# Written for dev; prod's are the same with the stage renamed. An entry that the
# scenario does exercise, or that the function's policy no longer has, fails the test:
# the lists stay exact.
_RUNTIME_LOGS = "the Lambda runtime writes the function's own log group and streams with its role"
_EVENT_SOURCE = "the SQS event source mapping polls the function's queue with its role"
# CloudWatch Logs authorizes these against the log group's ARN with the trailing `:*`.
_LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
# Lambda's documented minimum for an SQS event source is exactly these three.
_EVENT_SOURCE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
_QUEUES = {
    "ingest": f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbound-dev-ingest",
    "record_feedback": f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbound-dev-feedback",
    "send_announcement": f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbound-dev-announce",
    "send_reply": f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbound-dev-outbox",
}


def _not_exercised(function: str) -> dict[tuple[str, str], str]:
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{lambda_name(function)}:*"
    listed = {(action, log_group): _RUNTIME_LOGS for action in _LOG_ACTIONS}
    if function in _QUEUES:
        listed.update({(action, _QUEUES[function]): _EVENT_SOURCE for action in _EVENT_SOURCE_ACTIONS})
    return listed


NOT_EXERCISED: dict[str, dict[tuple[str, str], str]] = {f: _not_exercised(f) for f in FUNCTIONS}
NOT_EXERCISED["send_announcement"].update(
    {
        (action, _QUEUES["send_announcement"]): (
            "a batch the 24-hour quota cannot hold goes back on the queue (moto has no quota; "
            "tests/adapters/test_announcements.py)"
        )
        for action in ("sqs:SendMessage", "sqs:GetQueueUrl")
    }
)

# Queues a function sends to without reading them: the API queues held replies' sends.
_SENDS_TO = {
    f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbound-{stage}-{queue}"
    for stage in STAGES
    for queue in ("outbox", "announce")  # a held reply; an announcement's batches (the console)
}
for _function in FUNCTIONS:
    if _function != "record_feedback":
        NOT_EXERCISED[_function][
            ("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/inbound/dev/public-url")
        ] = (
            "links in mail read the stage's URL from SSM only where INBOUND_PUBLIC_URL is unset on "
            "Lambda (tests/adapters/test_public_url.py); the scenario's functions are given it"
        )
NOT_EXERCISED["send_reply"][("ses:GetIdentityVerificationAttributes", "*")] = (
    "in the SES sandbox a reply's recipients are looked up first (the API's sandboxed reply shows it)"
)

# What ingest may do and the sweeper, which re-drives mail through ingest's code path,
# may not: the sweeper starts from raw mail it has just listed in incoming/, never from a
# notification. Each entry says what brings ingest there.
_MAIL = f"arn:aws:s3:::inbound-dev-mail-{ACCOUNT}"
INGEST_ONLY = {
    ("s3:PutObject", f"{_MAIL}/incoming/*"): (
        "an SNS receipt action brings the mail inline in the notification; ingest writes it to incoming/"
    ),
    ("s3:GetObject", f"{_MAIL}/quarantine/*"): (
        "a notification delivered again after its mail was quarantined: the move finds no source "
        "and ingest looks for the quarantined copy"
    ),
    **{(action, _QUEUES["ingest"]): _EVENT_SOURCE for action in _EVENT_SOURCE_ACTIONS},
}


def chalice_config(project: Path = REPO) -> dict[str, Any]:
    return json.loads((project / ".chalice" / "config.json").read_text())


def policy_file(stage: str, function: str, project: Path = REPO) -> str:
    """The file Chalice reads for `function`'s role in `stage`: its own lookup, not ours."""
    config = Config(chalice_stage=stage, function_name=function, config_from_disk=chalice_config(project))
    return config.iam_policy_file


# A copy of the project's .chalice/ into which the scenario's `--write-config` writes
# the dev stage provisioned for DOMAIN in ACCOUNT (prod: the same names, renamed).
PROJECT = Path(tempfile.mkdtemp(prefix="inbound-iam-"))


def provisioned_project(outputs: dict[str, str]) -> Path:
    shutil.rmtree(PROJECT / ".chalice", ignore_errors=True)
    shutil.copytree(REPO / ".chalice", PROJECT / ".chalice", ignore=shutil.ignore_patterns("deployments"))
    write_stage_config(PROJECT, "dev", outputs)
    prod = {k: restage(v, "dev", "prod") for k, v in outputs.items()}
    write_stage_config(PROJECT, "prod", {**prod, "INBOUND_STAGE": "prod"})
    return PROJECT


def policy_document(stage: str, function: str) -> dict[str, Any]:
    """`function`'s policy as `--write-config` wrote it for the provisioned stage."""
    return json.loads((PROJECT / ".chalice" / policy_file(stage, function, PROJECT)).read_text())


# -- recording ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    service: str  # botocore's name: s3, dynamodb, sesv2, ...
    operation: str
    params: dict[str, Any]
    signed: bool  # False: a public operation or an unsigned client; IAM is not asked
    presigned: bool  # a link signed now, followed later by whoever holds it
    function: str  # the function being invoked when it was made; "" outside any invocation
    sandbox: bool = False  # made while the SES account was in the sandbox
    status: int = 0  # the HTTP status of AWS's answer; 0: none (a presigned link, refused before sending)


class CallRecorder:
    """Records the calls of every boto3 session created while installed.

    The functions build their own session (`services()` takes none), so the hook goes
    where botocore looks for the handlers of each new session. Sessions made before
    (the stack's own, which the tests use to deliver mail and look) are not recorded.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.throttle: str = ""  # "service.Operation" to refuse once, as AWS does when throttling
        self.function: str = ""  # the function being invoked: its calls are made with its role
        self.sandbox = False  # the SES account is in the sandbox

    def _record(self, params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        context = context or {}
        config = context.get("client_config")
        unsigned = model.auth_type == "none" or getattr(config, "signature_version", None) is UNSIGNED
        kept = {k: v for k, v in params.items() if k not in ("Body", "RawMessage")}
        presigned = bool(context.get("is_presign_request"))
        service = model.service_model.service_name
        context["iam_recorded_call"] = len(self.calls)  # botocore hands the same dict to after-call
        self.calls.append(
            Call(service, model.name, kept, not unsigned, presigned, self.function, self.sandbox)
        )
        if self.throttle == f"{service}.{model.name}":
            self.throttle = ""
            raise ClientError({"Error": {"Code": "Throttling", "Message": "injected"}}, model.name)

    def _answered(self, http_response: Any, context: Any = None, **_: Any) -> None:
        index = (context or {}).get("iam_recorded_call")
        if index is not None:
            self.calls[index] = replace(self.calls[index], status=http_response.status_code)

    @contextlib.contextmanager
    def invoking(self, function: str) -> Iterator[None]:
        """Attribute the calls made inside to `function`. The scenario invokes one function
        at a time and each invocation returns before the next starts, so every call made
        meanwhile, in any thread, is that function's."""
        assert function in FUNCTIONS and not self.function, (function, self.function)
        self.function = function
        try:
            yield
        finally:
            self.function = ""

    @contextlib.contextmanager
    def installed(self) -> Iterator[CallRecorder]:
        specs = [("before-parameter-build", self._record), ("after-call", self._answered)]
        BUILTIN_HANDLERS.extend(specs)
        try:
            yield self
        finally:
            for spec in specs:
                BUILTIN_HANDLERS.remove(spec)


# -- the scenario --------------------------------------------------------------------


def _delivery_failure(recipient: str, message_id: str) -> bytes:
    """A DSN (RFC 3464) from the recipient's mail server, returning the headers of our `message_id`."""
    return (
        "From: Mail Delivery Subsystem <mailer-daemon@mx.customer.org>\r\n"
        f"To: {SUPPORT}\r\nSubject: Delivery Status Notification (Failure)\r\n"
        f"Message-ID: <dsn-{recipient}>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: {recipient}\r\nMessage-ID: {message_id}\r\n\r\n"
        "--B--\r\n"
    ).encode()


@dataclass
class Scenario:
    calls: list[Call]
    seen: dict[str, Any] = field(default_factory=dict)

    def needs(self, stage: str, function: str) -> list[Need]:
        """What `function`'s calls need from IAM, renamed for `stage`."""
        found = []
        for call in self.calls:
            if call.signed and call.function == function:
                not_found = call.status == 404
                # botocore's generate_presigned_post serializes as a presigned CreateBucket
                # naming the bucket only: it is the console's POST form of a reply upload.
                operation = call.operation
                if call.presigned and (call.service, operation) == ("s3", "CreateBucket"):
                    operation = "PostObject"
                for need in needs(
                    call.service, operation, call.params, REGION, ACCOUNT, not_found, call.sandbox
                ):
                    found.append(replace(need, resource=restage(need.resource, "dev", stage)))
        return found


class Run:
    """The functions' paths, each through its Chalice handler, with what a user would see."""

    def __init__(self, stack: Any, client: Any, token: str, env: Any, recorder: CallRecorder) -> None:
        self.stack, self.client, self.token, self.env, self.recorder = stack, client, token, env, recorder
        self.seen: dict[str, Any] = {}
        self.ticket = self.reply_key = self.other_ticket = ""  # made by ingest(), used by the API
        self.unmoved: dict[str, Any] = {}  # made by ingest(), left in incoming/ for the sweeper
        self.last_function = ""
        self.ingest_arn = stack.outputs["INBOUND_INGEST_QUEUE_ARN"]
        self.feedback_arn = stack.outputs["INBOUND_FEEDBACK_QUEUE_ARN"]
        self.announce_arn = stack.outputs["INBOUND_ANNOUNCE_QUEUE_ARN"]
        self.outbox_arn = stack.outputs["INBOUND_OUTBOX_QUEUE_ARN"]

    # -- helpers: the only ways the scenario invokes a function
    def invoke(self, function: str, event: Any) -> Any:
        with self._container(function):
            return self.client.lambda_.invoke(function, event).payload

    def http(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request through API Gateway: the API handler function answers it."""
        with self._container(API_HANDLER):
            return self.client.http.request(method, path, **kwargs)

    @contextlib.contextmanager
    def _container(self, function: str) -> Iterator[None]:
        """Each function runs in containers of its own: one that follows another function
        starts cold, so what a container fetches once (the reply secret, the SES account's
        sandbox status) is fetched again, and recorded, with this function's role."""
        if function != self.last_function:
            services.cache_clear()
            self.last_function = function
        with self.recorder.invoking(function):
            yield

    def _ingest(self, body: str) -> dict[str, Any]:
        self.invoke("ingest", sqs_event([body], self.ingest_arn))
        message_id = json.loads(body)["mail"]["messageId"]
        return {**self.stack.deliveries.get_delivery(message_id), "ses_id": message_id}

    def _stored(self, raw: bytes, **verdicts: Any) -> str:
        """SES stores the raw mail (with the stack's own session) and notifies: the SQS body."""
        message_id = ses_id()
        self.stack.store.put_incoming(message_id, raw)
        return received_notification(message_id, self.stack.settings.mail_bucket, (SUPPORT,), **verdicts)

    def _inline(self, raw: bytes) -> str:
        """The notification of an SNS action: the mail travels in it, nothing is in S3 yet."""
        note = json.loads(received_notification(ses_id(), self.stack.settings.mail_bucket, (SUPPORT,)))
        note["receipt"]["action"] = {
            "type": "SNS",
            "topicArn": self.stack.outputs["INBOUND_RECEIVED_TOPIC_ARN"],
        }
        note["receipt"]["action"]["encoding"] = "BASE64"
        note["content"] = base64.b64encode(raw).decode()
        return json.dumps(note)

    def _kinds(self, ticket: str) -> list[str]:
        return [m.kind for m in self.stack.tickets.messages(ticket)]

    def _acknowledgement_id(self, ticket: str) -> str:
        return next(m.message_id for m in self.stack.tickets.messages(ticket) if m.kind == "acknowledgement")

    def _api(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        payload = json.dumps(body).encode() if body is not None else b""
        return self.http(method, path, headers=headers, body=payload)

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
        created = self.stack.deliveries.get_delivery(json.loads(first)["mail"]["messageId"])
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
        # SES throttles its account-list look-up (a management call): the guard goes on
        # without it and the acknowledgement still leaves; the record does not fail.
        self.recorder.throttle = "sesv2.GetSuppressedDestination"
        inline = self._ingest(self._inline(make_mail(subject="Delivered inline")))
        seen["inline"], self.other_ticket = inline["outcome"], inline["ticket"]
        seen["acknowledged though throttled"] = "acknowledgement" in self._kinds(inline["ticket"])
        seen["throttle taken"] = self.recorder.throttle == ""
        # Bob's acknowledgement bounces back as mail: Bob goes on the suppression list.
        bob = self._ingest(self._stored(make_mail(subject="Broken scanner", sender="Bob <bob@customer.org>")))
        # Carol's bounces too, but its notification is lost: the sweeper finds it (stale_mail).
        self.unmoved = self._ingest(
            self._stored(make_mail(subject="Broken fax", sender="Carol <carol@customer.org>"))
        )
        bounce = _delivery_failure("bob@customer.org", self._acknowledgement_id(bob["ticket"]))
        seen["bounce"] = self._ingest(self._stored(bounce))["outcome"]
        spam = self._stored(make_mail(subject="Cheap pills"), spam="FAIL")
        seen["spam"] = (self._ingest(spam)["outcome"], self._ingest(spam)["outcome"])
        # Two auto-replies suspended for review; staff release the first (staff_api), whose
        # signature logo and long quoted thread are stored as any ticket message's are.
        away = {"Auto-Submitted": "auto-replied"}
        logo = (("logo.png", "image/png", PDF),)
        self._ingest(
            self._stored(
                make_mail(subject="Out of office", body="quoted\n" * 15000, attachments=logo, headers=away)
            )
        )
        self._ingest(self._stored(make_mail(subject="Vacation", headers=away)))
        self.ticket, self.reply_key = ticket, reply["ses_id"]

    def feedback(self) -> None:
        notes = [bounce_note("bounced@customer.org"), complaint_note("complained@customer.org")]
        # A full mailbox three times: soft bounces, counted, until the address is suppressed.
        notes += [
            bounce_note(
                "full@customer.org", bounce_type="Transient", subtype="MailboxFull", feedback_id=f"s-{n}"
            )
            for n in range(3)
        ]
        self.invoke("record_feedback", sqs_event(notes, self.feedback_arn))
        self.invoke("record_feedback", sqs_event(notes[:1], self.feedback_arn))  # SQS delivers it again

    def _announcement(self, *addresses: str) -> str:
        """An announcement made with the stack's own session (the operator's CLI: not recorded),
        its batch sent by send_announcement twice (SQS redelivers it); its id."""
        service = self.stack.services.announcements
        draft = service.draft("support", "News", "Hello {name}", [Recipient(a) for a in addresses])
        announcement = service.create(draft)
        body = json.dumps({"announcement": announcement.id, "recipients": list(addresses)})
        for _ in range(2):
            self.invoke("send_announcement", sqs_event([body], self.announce_arn))
        return str(announcement.id)

    def announce(self) -> None:
        """An announcement: one recipient sent, one refused (suppressed by feedback()); SES's
        Delivery event for the sent one; then its one-click unsubscribe through the API."""
        announced = self._announcement("ivy@customer.org", "bounced@customer.org")
        store = self.stack.services.announcements.ports.store
        message_id = store.recipient(announced, "ivy@customer.org").ses_message_id
        delivery = {
            "eventType": "Delivery",
            "mail": {
                "messageId": message_id,
                "destination": ["ivy@customer.org"],
                "tags": {"ses:configuration-set": [self.stack.settings.announcement_configuration_set]},
                "headers": [{"name": "X-Inbound-Announcement", "value": announced}],
            },
            "delivery": {"recipients": ["ivy@customer.org"]},
        }
        self.invoke("record_feedback", sqs_event([json.dumps(delivery)], self.feedback_arn))
        token = unsubscribe_token(self.stack.secret(), "ivy@customer.org", announced)
        page = self.http(
            "POST",
            f"/u/{token}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=b"List-Unsubscribe=One-Click",
        )
        self.seen["announcement"] = {r.address: r.state for r in store.recipients(announced)}
        self.seen["unsubscribe"] = page.status_code

    def stale_mail(self) -> None:
        """Mail whose notification never came stays in incoming/ until the sweeper re-drives
        it through ingest's code path: one of each outcome the raw mail alone can lead to
        (without a notification there are no receipt verdicts, so no spam quarantine)."""
        stale = {
            "iamswept1new": make_mail(subject="Lost notification", sender="Dan <dan@customer.org>"),
            "iamswept2large": make_mail(
                subject="Lost scan",
                sender="Erin <erin@customer.org>",
                body="line of text\n" * 7800,
                attachments=(("scan.pdf", "application/pdf", PDF),),
            ),
            "iamswept3reply": stored_by_ses(
                make_mail(subject="Re: Printer", in_reply_to="<iam-1@customer.org>")
            ),
            "iamswept4bounce": _delivery_failure(
                "carol@customer.org", self._acknowledgement_id(self.unmoved["ticket"])
            ),
            "iamswept5auto": make_mail(subject="Away", headers={"Auto-Submitted": "auto-replied"}),
        }
        for ses_message_id, raw in stale.items():
            self.stack.store.put_incoming(ses_message_id, raw)
        # Carol's mail was filed, then the move out of incoming/ never happened (the run
        # timed out, its notification went to the dead-letter queue): the sweeper finishes it.
        store, unmoved = self.stack.store, self.unmoved
        archived = archive_key(unmoved["ses_id"], unmoved["received_at"])
        store.put_incoming(unmoved["ses_id"], store.get_raw(store.bucket, archived))
        self.recorder.throttle = "ses.SendRawEmail"  # SES throttles the sweeper's first acknowledgement
        self.seen["swept"] = self.sweep()
        self.seen["left in incoming"] = store.list_incoming()
        deliveries = {i: self.stack.deliveries.get_delivery(i) for i in stale}
        self.seen["swept outcomes"] = [d["outcome"] for d in deliveries.values()]
        self.seen["swept reply threads"] = deliveries["iamswept3reply"]["ticket"] == self.ticket
        self.seen["swept acknowledged"] = {
            i: [m.kind for m in self.stack.tickets.messages(deliveries[i]["ticket"])]
            for i in ("iamswept1new", "iamswept2large")
        }

    def sweep(self) -> dict[str, Any]:
        event = self.client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [], REGION)
        return self.invoke("sweep_incoming", event)

    def console(self) -> None:
        self.seen["console config"] = self.http("GET", "/console/config.json").status_code
        login = json.dumps({"email": AGENT, "password": PASSWORD}).encode()
        headers = {"Content-Type": "application/json"}
        response = self.http("POST", "/console/login", headers=headers, body=login)
        self.seen["sign-in"] = response.status_code

    def held_replies(self, ticket: str) -> None:
        """Undo-send: a long reply with a file held (the API queues its send), its queue
        message delivered to send_reply (twice: SQS may redeliver), another one undone."""
        offer = self._api(
            "POST",
            f"/api/tickets/{ticket}/uploads",
            {"filename": "h.pdf", "content_type": "application/pdf", "size": len(PDF)},
        ).json_body
        requests.post(offer["url"], data=offer["fields"], files={"file": ("h.pdf", PDF)}, timeout=10)
        long_text = "A long answer. " * 8_000  # over the inline limit: the body goes to bodies/
        held = self._api(
            "POST",
            f"/api/tickets/{ticket}/reply",
            {"text": long_text, "uploads": [offer["key"]], "undo": True},
        )
        body = json.dumps({"ticket": ticket, "hold": held.json_body["held"]})
        for _ in range(2):
            self.invoke("send_reply", sqs_event([body], self.outbox_arn))
        state = self._api("GET", f"/api/tickets/{ticket}/held/{held.json_body['held']}").json_body["state"]
        undone = self._api("POST", f"/api/tickets/{ticket}/reply", {"text": "Oops.", "undo": True}).json_body
        cancelled = self._api("DELETE", f"/api/tickets/{ticket}/held/{undone['held']}")
        self.invoke(
            "send_reply", sqs_event([json.dumps({"ticket": ticket, "hold": undone["held"]})], self.outbox_arn)
        )
        self.seen["held reply"] = (held.status_code, state, cancelled.status_code)

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
        # A reply attachment: the API signs a POST form, the browser posts the file to S3
        # with it (not a function's call), the reply reads the upload back to send it.
        offer = self._api(
            "POST",
            f"/api/tickets/{ticket}/uploads",
            {"filename": "r.pdf", "content_type": "application/pdf", "size": len(PDF)},
        ).json_body
        posted = requests.post(offer["url"], data=offer["fields"], files={"file": ("r.pdf", PDF)}, timeout=10)
        attached = self._api(
            "POST", f"/api/tickets/{ticket}/reply", {"text": "Attached.", "uploads": [offer["key"]]}
        )
        seen["attached reply"] = (posted.status_code, attached.status_code)
        forwarded = self._api("POST", f"/api/tickets/{ticket}/forward", {"to": "engineering@partner.test"})
        seen["forward"] = forwarded.status_code
        self.held_replies(ticket)
        seen["note"] = self._api("POST", f"/api/tickets/{ticket}/notes", {"text": "Called them."}).status_code
        split = self._api("POST", f"/api/tickets/{ticket}/split", {"message_key": self.reply_key})
        seen["split"] = split.status_code
        merge = self._api("POST", f"/api/tickets/{split.json_body['id']}/merge", {"into": ticket})
        seen["merge"] = merge.status_code
        suspended = self._api("GET", "/api/suspended?mailbox=support").json_body["suspended"]
        seen["suspended"] = sorted(h["subject"] for h in suspended)
        keep, drop = (
            next(h["key"].replace("#", "%23") for h in suspended if h["subject"] == subject)
            for subject in ("Out of office", "Vacation")
        )
        released = self._api("POST", f"/api/suspended/support/{keep}/release").json_body
        seen["release"] = released["outcome"]
        message = self._api("GET", f"/api/tickets/{released['ticket']}").json_body["messages"][0]
        seen["released"] = (len(message["text"]) > 100_000, [a["filename"] for a in message["attachments"]])
        seen["discard"] = self._api("POST", f"/api/suspended/support/{drop}/discard").status_code
        seen["close"] = self._api("PATCH", f"/api/tickets/{ticket}", {"status": "closed"}).status_code
        # The first message's body object is gone (deleted by hand, a restore without it):
        # S3 says 404 only to a role that may list the bucket, and the API shows the preview.
        s3 = self.stack.client("s3")
        for key in self.stack.keys(f"bodies/{ticket}/"):
            s3.delete_object(Bucket=self.stack.settings.mail_bucket, Key=key)
        shown = self._api("GET", f"/api/tickets/{ticket}")
        seen["body gone"] = (shown.status_code, 0 < len(shown.json_body["messages"][0]["text"]) < 100_000)

    def staff_admin(self) -> None:
        """An admin (Cognito group admin) invites, disables, enables, promotes and removes."""
        cognito = self.stack.client("cognito-idp")  # the stack's own session: not recorded
        pool, app_client = (
            self.stack.outputs[k] for k in ("INBOUND_USER_POOL_ID", "INBOUND_USER_POOL_CLIENT_ID")
        )
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=AGENT, GroupName="admin")
        agent_token, self.token = self.token, sign_in(cognito, pool, app_client, AGENT)["id"]
        new = "/api/staff/newcomer@staff.test"
        self.seen["staff admin"] = [
            self._api("GET", "/api/staff").status_code,
            self._api("POST", "/api/staff", {"email": "newcomer@staff.test"}).status_code,
            self._api("PATCH", new, {"enabled": False}).status_code,
            self._api("PATCH", new, {"enabled": True, "role": "admin"}).status_code,
            self._api("PATCH", new, {"role": "agent"}).status_code,
            self._api("DELETE", new).status_code,
        ]
        # The console's announcement screen: a draft from an uploaded list, a test copy to
        # the admin (through the announcements' configuration set), the send's batches queued.
        created = self._api(
            "POST",
            "/api/announcements",
            {"action": "create", "subject": "News", "text": "Hello {name}.", "list": "kim@customer.org\n"},
        )
        mine = f"/api/announcements/{created.json_body['id']}"
        self.seen["console announcement"] = [
            created.status_code,
            self._api("POST", mine, {"action": "test", "to": AGENT}).status_code,
            self._api("POST", mine, {"action": "send"}).json_body["queued"],
            self._api("GET", mine).json_body["counts"]["pending"],
        ]
        self.token = agent_token

    def last_chances(self) -> None:
        """Other configurations. An account still in the SES sandbox (moto cannot say so),
        where every mail out first asks whether its recipient is verified (none is here):
        acknowledgements, ingested or swept, and staff replies. Then the sweep's last attempt."""
        self.env.setenv("INBOUND_SES_SANDBOX", "true")
        self.recorder.sandbox = True
        services.cache_clear()
        # Gina verified her address: SES lets the sandbox send to her, authorizing it
        # against her identity as well as ours.
        self.stack.client("ses").verify_email_identity(EmailAddress="gina@customer.org")
        ingested = self._ingest(
            self._stored(make_mail(subject="Sandboxed", sender="Gina <gina@customer.org>"))
        )
        late = make_mail(subject="Swept in the sandbox", sender="Hank <hank@customer.org>")
        self.stack.store.put_incoming("iamswept6sandbox", late)
        self.sweep()
        swept = self.stack.deliveries.get_delivery("iamswept6sandbox")
        self.seen["sandboxed acknowledgements"] = [self._kinds(d["ticket"]) for d in (ingested, swept)]
        refused = self._api("POST", f"/api/tickets/{self.other_ticket}/reply", {"text": "Sandboxed."})
        self.seen["sandboxed reply"] = (refused.status_code, refused.json_body.get("error"))
        sandboxed = self._announcement("jill@customer.org")
        store = self.stack.services.announcements.ports.store
        self.seen["sandboxed announcement"] = store.recipient(sandboxed, "jill@customer.org").reason
        self.env.setenv("INBOUND_SWEEP_MAX_ATTEMPTS", "0")
        services.cache_clear()
        self.stack.store.put_incoming("iamlostnotification2", make_mail(subject="Given up"))
        self.seen["given up"] = self.sweep()


@pytest.fixture(scope="module")
def scenario() -> Iterator[Scenario]:
    from chalice.test import Client

    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_ACCOUNT_ID", ACCOUNT)  # moto answers as this account
        with embedded_stack(stage="dev", domain=DOMAIN) as stack, jwks_server(moto_jwks()) as (jwks_url, _):
            yield _run_scenario(Client, stack, env, jwks_url)


def warming_pool(stack: Any) -> dict[str, str]:
    """Announcements send from a standard dedicated pool (`inbound provision --dedicated-pool`)
    whose IP is warm: send_announcement reads its warm-up (GetDedicatedIps) before each batch."""
    sesv2 = stack.client("sesv2")
    sesv2.create_dedicated_ip_pool(PoolName="bulk", ScalingMode="STANDARD")
    lease_dedicated_ips(ses_backends[ACCOUNT][REGION], {"198.51.100.7": 100})
    sesv2.put_dedicated_ip_in_pool(Ip="198.51.100.7", DestinationPoolName="bulk")
    return {"INBOUND_WARMUP_POOL": "bulk"}


def _run_scenario(client_class: Any, stack: Any, env: Any, jwks_url: str) -> Scenario:
    # `inbound provision --write-config` into the project copy: Chalice's test client
    # sets the stage's variables from its config.json around every invocation.
    project = provisioned_project({**stack.outputs, **warming_pool(stack)})
    env.setenv("INBOUND_JWKS_URL", jwks_url)
    env.setenv("INBOUND_SWEEP_AFTER_MINUTES", "0")  # the sweeper takes what the test leaves
    pool, app_client = stack.outputs["INBOUND_USER_POOL_ID"], stack.outputs["INBOUND_USER_POOL_CLIENT_ID"]
    token = sign_in(stack.client("cognito-idp"), pool, app_client, AGENT)["id"]
    services.cache_clear()
    from app import app

    recorder = CallRecorder()
    try:
        client = client_class(app, stage_name="dev", project_dir=str(project))
        with recorder.installed(), client:
            run = Run(stack, client, token, env, recorder)
            run.ingest()
            run.feedback()
            run.announce()
            run.stale_mail()
            run.console()
            run.staff_api()
            run.staff_admin()
            run.last_chances()
            run.seen["suppressed"] = {
                e.address: e.reason for e in stack.services.suppression.list()
            }  # the stack's own session: not recorded
    finally:
        services.cache_clear()
    return Scenario(recorder.calls, run.seen)


# -- the tests -----------------------------------------------------------------------


def test_the_scenario_went_down_every_path(scenario):
    """GIVEN the functions driven through their handlers THEN each path did what a user
    would see, so the recorded calls are those of working code, not of error exits."""
    seen = scenario.seen
    assert seen["new mail"] == ("created", False) and seen["acknowledged on redelivery"]
    assert (seen["redelivery"], seen["reply"], seen["inline"]) == (0, ("threaded", True), "created")
    assert seen["acknowledged though throttled"] and seen["throttle taken"]
    assert (seen["bounce"], seen["spam"]) == ("bounce", ("quarantined", "quarantined"))
    assert seen["suppressed"] == {
        "bob@customer.org": "BOUNCE",  # ingested DSN
        "carol@customer.org": "BOUNCE",  # swept DSN
        "bounced@customer.org": "BOUNCE",
        "complained@customer.org": "COMPLAINT",
        "full@customer.org": "SOFT_BOUNCE",
    }
    # The sweep files every kind of stale mail and finishes Carol's unmoved one. SES
    # throttled Dan's acknowledgement: his ticket is filed and the sweep counts it failed.
    assert seen["swept"] == {"redriven": 5, "failed": 1, "quarantined": 0, "sla_breaches": 0}
    assert seen["swept outcomes"] == ["created", "created", "threaded", "bounce", "auto_reply"]
    assert seen["left in incoming"] == [] and seen["swept reply threads"]
    assert "acknowledgement" in seen["swept acknowledged"]["iamswept2large"]
    assert seen["given up"]["quarantined"] == 1
    assert (seen["console config"], seen["sign-in"]) == (200, 200)
    assert seen["queue"] >= 1 and seen["claimed"] == (200, AGENT) and seen["mine"] >= 1
    assert seen["read"] == (True, ["invoice.pdf"]) and seen["link"]
    assert (seen["update"], seen["staff reply"], seen["note"]) == (200, 201, 201)
    assert seen["attached reply"] == (204, 201) and seen["forward"] == 201
    assert seen["held reply"] == (202, "sent", 200)
    assert (seen["split"], seen["merge"]) == (201, 200)
    assert seen["suspended"] == ["Away", "Out of office", "Vacation"]
    assert (seen["release"], seen["released"], seen["discard"]) == ("created", (True, ["logo.png"]), 204)
    assert seen["sandboxed acknowledgements"] == [["customer", "acknowledgement"], ["customer"]]
    assert seen["body gone"] == (200, True)
    assert seen["staff admin"] == [200, 201, 200, 200, 200, 204]
    assert seen["console announcement"] == [201, 200, 1, 1]
    assert seen["sandboxed reply"] == (409, "sandbox") and seen["close"] == 200
    assert seen["announcement"] == {"ivy@customer.org": "unsubscribed", "bounced@customer.org": "refused"}
    assert seen["unsubscribe"] == 200 and seen["sandboxed announcement"].startswith("sandbox")
    services_called = {c.service for c in scenario.calls if c.signed}
    # sqs: the API queues a held reply's send (undo-send)
    assert services_called == {
        "s3",
        "dynamodb",
        "ses",
        "sesv2",
        "sns",
        "ssm",
        "cloudwatch",
        "cognito-idp",
        "sqs",
    }
    assert any(c.presigned for c in scenario.calls)


def test_every_call_was_made_by_a_function_and_every_function_made_calls(scenario):
    """Calls are attributed to the function being invoked: none falls outside one (it
    would be checked against no policy), and each function's own calls were seen."""
    outside = sorted({f"{c.service}.{c.operation}" for c in scenario.calls if not c.function})
    assert not outside, f"calls made outside any invocation: {outside}"
    callers = {c.function for c in scenario.calls if c.signed}
    assert callers == set(FUNCTIONS)


def test_each_function_has_its_own_policy_file_and_no_stage_file_is_left():
    """Chalice's own lookup (function, then stage, then global) finds a file per function;
    no stage-level file backs a function that has none, and none lies around unused."""
    from app import app

    declared = {source.name for source in app.event_sources} | {f.name for f in app.pure_lambda_functions}
    declared |= {API_HANDLER} if app.routes else set()
    assert declared == set(FUNCTIONS)
    config = chalice_config()
    assert config["autogen_policy"] is False
    named = {(s, f): policy_file(s, f) for s in STAGES for f in FUNCTIONS}
    assert named == {(s, f): f"policy-{s}-{f}.json" for s in STAGES for f in FUNCTIONS}
    assert all("iam_policy_file" not in config["stages"][s] for s in STAGES)
    assert "iam_policy_file" not in config
    on_disk = {p.name for p in (REPO / ".chalice").glob("policy-*.json")}
    assert on_disk == set(named.values())


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("stage", STAGES)
def test_every_call_a_function_makes_is_allowed_by_its_policy(scenario, stage, function):
    policy = Policy(policy_document(stage, function))
    refused = sorted(
        {
            f"{n.action} on {n.resource} ({n.call})"
            for n in scenario.needs(stage, function)
            if not policy.allows(n)
        }
    )
    name = policy_file(stage, function)
    assert not refused, f"{name} does not allow what {function} does:\n  " + "\n  ".join(refused)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("stage", STAGES)
def test_every_grant_is_used_by_its_function_or_listed_with_who_uses_it(scenario, stage, function):
    policy, name = Policy(policy_document(stage, function)), policy_file(stage, function)
    used = {grant for need in scenario.needs(stage, function) for grant in policy.allowing(need)}
    listed = {(a, restage(r, "dev", stage)) for a, r in NOT_EXERCISED[function]}
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
    assert not unused, f"{name} grants what {function} never used:\n  " + "\n  ".join(unused)
    assert not exercised, f"NOT_EXERCISED[{function!r}] lists grants it uses:\n  " + "\n  ".join(exercised)
    assert not stale, f"NOT_EXERCISED[{function!r}] lists grants {name} lacks:\n  " + "\n  ".join(stale)
    conditional = sorted({f"{g} if {json.dumps(g.condition)}" for g in used if g.condition})
    print(f"{name}: {len(used)} grants used, conditions taken as met: {conditional or 'none'}")


@pytest.mark.parametrize("stage", STAGES)
def test_the_sweeper_may_do_what_ingest_does_but_what_only_a_notification_brings(scenario, stage):
    """The sweeper re-drives stale mail through ingest's code path: a grant ingest has and
    the sweeper lacks must be one only a notification leads to (INGEST_ONLY), and the
    sweeper has nothing ingest lacks but the SLA breach watch's index. Each writes its own
    log group."""

    def grants(function: str) -> set[tuple[str, str]]:
        policy = Policy(policy_document(stage, function))
        return {(g.action, g.resource) for g in policy.grants if not g.action.startswith("logs:")}

    ingest, sweeper = grants("ingest"), grants("sweep_incoming")
    assert ingest - sweeper == {(a, restage(r, "dev", stage)) for a, r in INGEST_ONLY}
    watch = restage(
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inbound-dev-tickets/index/slawatch", "dev", stage
    )
    assert sweeper - ingest == {("dynamodb:Query", watch)}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_grant_is_wider_than_its_resources(scenario, stage, function):
    """No wildcard action; Resource "*" only for actions IAM cannot scope; every other
    resource names this stage's resources, or the account's identities held to the stage's
    mailboxes by ses:FromAddress; no bucket-name `*`; logs only in the function's own log
    group; an SQS queue only for the function it feeds."""
    own_log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{lambda_name(function, stage)}:*"
    mailboxes = {f"support@{DOMAIN}", f"billing@{DOMAIN}"}
    wide = []
    for grant in Policy(policy_document(stage, function)).grants:
        if "*" in grant.action or "?" in grant.action:
            wide.append(f"{grant}: spell the actions out")
        if grant.resource == "*":
            if grant.action not in UNSCOPABLE:
                wide.append(f"{grant}: {grant.action} can name its resources")
        elif not (
            re.search(rf"inbound[-/]{stage}(?=[-/:]|$)", grant.resource)
            # The stage's own user pool, named by its id (a pool's ARN holds no name).
            or re.fullmatch(rf"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_\w+", grant.resource)
            or (
                grant.resource == f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/*"
                and set(grant.condition.get("StringEquals", {}).get("ses:FromAddress", [])) == mailboxes
            )
        ):
            wide.append(f"{grant}: names no resource of stage {stage}")
        if grant.resource.startswith("arn:aws:s3:::") and "*" in grant.resource[13:].partition("/")[0]:
            wide.append(f"{grant}: `*` in a bucket name also matches '/' and other buckets")
        if grant.action.startswith("logs:") and grant.resource != own_log_group:
            wide.append(f"{grant}: {function} writes {own_log_group} only")
        if grant.action.startswith("sqs:") and function not in _QUEUES and grant.resource not in _SENDS_TO:
            wide.append(f"{grant}: {function} reads no queue")
    assert not wide, "\n  ".join(["too wide:", *wide])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_prod_is_dev_with_the_stage_renamed(scenario, function):
    assert policy_document("prod", function) == restage(policy_document("dev", function), "dev", "prod")


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
    # A 404 for a missing key is S3's answer only to a caller that may list the bucket.
    missing = needs("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, REGION, ACCOUNT, not_found=True)
    assert [(n.action, n.resource) for n in missing] == [
        ("s3:GetObject", "arn:aws:s3:::b/k"),
        ("s3:ListBucket", "arn:aws:s3:::b"),
    ]
    moved = needs(
        "s3", "CopyObject", {"Bucket": "t", "Key": "to", "CopySource": "s/from"}, REGION, ACCOUNT, True
    )
    assert ("s3:ListBucket", "arn:aws:s3:::s") in [(n.action, n.resource) for n in moved]
    with pytest.raises(Unmapped):
        needs("kinesis", "PutRecord", {}, REGION, ACCOUNT)


def test_the_evaluator_holds_a_send_to_its_from_address_and_the_sandbox_to_recipients():
    identity = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity"
    policy = Policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "ses:SendRawEmail",
                    "Resource": f"{identity}/*",
                    "Condition": {"StringEquals": {"ses:FromAddress": [SUPPORT]}},
                },
                {"Effect": "Allow", "Action": "ses:SendRawEmail", "Resource": f"{identity}/{DOMAIN}"},
            ]
        }
    )
    send = {"Source": f"Support <{SUPPORT}>", "Destinations": ["gina@customer.org"]}
    assert all(policy.allows(n) for n in needs("ses", "SendRawEmail", send, REGION, ACCOUNT, sandbox=True))
    forged = {**send, "Source": f"ceo@{DOMAIN}"}
    sandboxed = needs("ses", "SendRawEmail", forged, REGION, ACCOUNT, sandbox=True)
    # The domain grant lets the sender identity through, never the recipient's.
    assert [n.resource for n in sandboxed if not policy.allows(n)] == [f"{identity}/gina@customer.org"]
    domain_only = Policy({"Statement": [policy.document["Statement"][1]]})
    assert not all(
        domain_only.allows(n) for n in needs("ses", "SendRawEmail", send, REGION, ACCOUNT, sandbox=True)
    )


def test_the_committed_policy_files_are_what_the_stage_config_generates(tmp_path):
    """`.chalice/policy-*.json` are written by `inbound policies`/`--write-config`, never by
    hand: generating them again from the committed config.json changes nothing."""
    shutil.copytree(REPO / ".chalice", tmp_path / ".chalice", ignore=shutil.ignore_patterns("deployments"))
    assert [write_stage_policies(tmp_path / ".chalice", stage) for stage in STAGES] == [[], []]


def test_write_config_names_the_domain_account_and_mailboxes_in_the_policies(scenario):
    """What `--write-config` wrote for acme-support.test in account 210987654321."""
    for function in ("ingest", "sweep_incoming", "api_handler"):
        text = json.dumps(policy_document("dev", function))
        assert f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/*" in text and SUPPORT in text
        assert "example.com" not in text and "????????????" not in text
