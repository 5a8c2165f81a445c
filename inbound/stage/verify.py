"""`inbound verify`: does the whole loop of a deployed stage work in its account?

Six steps, each a pass or a fail with what to do about it:

1. sending: SES sends for the account (sesv2 GetAccount): enabled, sandbox or production,
   the quota.
2. dns: the records provision printed resolve (MX, the three DKIM CNAMEs, the MAIL FROM
   MX and SPF, DMARC).
3. receiving: the active receipt rule set holds the stage's rule, enabled, and no rule ahead
   of it stops the set for its recipients (provision/receiving.py, `stopped_before`).
3a. links: the stage knows its own URL, the base of links in mail (INBOUND_PUBLIC_URL or
   the SSM parameter provision writes after `chalice deploy`; never a loopback one).
4. mail: a mail sent through SES to the default mailbox becomes a ticket (found by its
   Message-ID; then closed, so it waits in no queue).
5. bounce: a send to the mailbox simulator's bounce address (a label makes it new each
   run) ends on the stage's suppression list through the configuration set's events.

Steps 4 and 5 are the live round trip: SES, MX, the receipt rule, S3, SNS, SQS, the
deployed functions and DynamoDB all take part; they wait up to `timeout` seconds each.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from inbound.stage.dns_check import Resolver, expected_records, missing_records
from inbound.stage.provision.context import Names, account_of, partition_of
from inbound.stage.provision.receiving import stopped_before

AGENT = "inbound-verify"
BOUNCE_SIMULATOR = "bounce@simulator.amazonses.com"
STEPS = ("sending", "dns", "receiving", "links", "mail", "bounce")


@dataclass(frozen=True)
class Step:
    step: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'PASS' if self.ok else 'FAIL'} {self.step}: {self.detail}"
        return text + (f"\n     fix: {self.fix}" if self.fix else "")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verifier:
    """One run against a stage (`target`, see inbound/cli/target.py); `session` reaches it."""

    target: Any
    session: Any
    resolver: Resolver
    timeout: float = 120.0
    poll: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        from chalicelib.settings import Settings
        from chalicelib.wiring import build_services

        self.stage, self.region = self.target.stage, self.target.region
        self.endpoint_url = self.target.endpoint_url
        self.settings = Settings.from_env(self.target.environment(self.session))
        self.services = build_services(self.settings, self.session)
        account = account_of(self.session, self.region, self.endpoint_url)
        self.names = Names(
            self.stage, self.settings.domain, self.region, account, partition_of(self.session, self.region)
        )
        self.nonce = uuid.uuid4().hex[:12]
        self.command = (
            f"inbound provision --stage {self.stage} --domain {self.settings.domain} --region {self.region}"
        )

    def client(self, name: str) -> Any:
        return self.session.client(name, region_name=self.region, endpoint_url=self.endpoint_url)

    def run(
        self, progress: Callable[[Step], object] = lambda step: None, only: tuple[str, ...] = STEPS
    ) -> list[Step]:
        """The steps named in `only`, in order; `progress` hears each as it ends. AWS refusing
        a call a step needs (permissions, throttling) fails that step, not the run."""
        steps = []
        for check in (getattr(self, name) for name in STEPS if name in only):
            try:
                step = check()
            except ClientError as exc:
                code = error_code(exc)
                operation = getattr(exc, "operation_name", "a call")
                fix = "run verify with credentials allowed what provision and the functions do, or retry"
                step = Step(check.__name__, False, f"AWS refused {operation} ({code})", fix)
            steps.append(step)
            progress(step)
        return steps

    # -- 3a -------------------------------------------------------------------------
    def links(self) -> Step:
        from chalicelib.errors import PublicUrlMissing

        try:
            url = self.services.public_url()
        except PublicUrlMissing:
            fix = (
                f"inbound provision --stage {self.stage} --region {self.region} --after-deploy "
                "(after `chalice deploy`; --public-url URL for a custom domain), or set INBOUND_PUBLIC_URL"
            )
            return Step(
                "links",
                False,
                "the stage does not know its URL: its mail carries no file or unsubscribe links",
                fix,
            )
        return Step("links", True, f"links in mail point at {url}")

    # -- 1 --------------------------------------------------------------------------
    def sending(self) -> Step:
        try:
            account = self.client("sesv2").get_account()
        except ClientError as exc:
            code = error_code(exc)
            return Step(
                "sending",
                False,
                f"SES GetAccount failed ({code})",
                "run verify with credentials allowed ses:GetAccount",
            )
        quota = account.get("SendQuota") or {}
        figures = (
            f"{quota.get('SentLast24Hours', 0):.0f} of {quota.get('Max24HourSend', 0):.0f} sent in 24 h, "
            f"{quota.get('MaxSendRate', 0):g}/s"
        )
        if not account.get("SendingEnabled", False):
            status = account.get("EnforcementStatus", "")
            fix = "SES paused sending for the account: read the SES console's reputation page, then aws sesv2 put-account-sending-attributes --sending-enabled"
            return Step("sending", False, f"sending disabled (enforcement {status}); {figures}", fix)
        if not account.get("ProductionAccessEnabled", False):
            fix = "request production access (SES console: Account dashboard), or verify each recipient"
            return Step(
                "sending", True, f"enabled, in the SES sandbox: only verified recipients; {figures}", fix
            )
        return Step("sending", True, f"enabled, production access; {figures}")

    # -- 2 --------------------------------------------------------------------------
    def dns(self) -> Step:
        domain = self.settings.domain
        expected = expected_records(self.client("ses"), domain, self.region)
        missing = missing_records(self.resolver, expected)
        if not missing:
            return Step(
                "dns", True, f"{len(expected)} records of {domain} resolve (MX, DKIM, MAIL FROM, SPF, DMARC)"
            )
        shown = "; ".join(f"{r.type} {r.name}" for r in missing)
        fix = "publish " + "; ".join(f"{r.name} {r.type} {r.value}" for r in missing)
        return Step("dns", False, f"not resolving as SES needs: {shown}", fix)

    # -- 3 --------------------------------------------------------------------------
    def receiving(self) -> Step:
        described = self.client("ses").describe_active_receipt_rule_set()
        active = (described.get("Metadata") or {}).get("Name")
        rule = next((r for r in described.get("Rules") or [] if r.get("Name") == self.names.rule), None)
        fix = f"{self.command} --activate"
        if active is None:
            return Step("receiving", False, "no receipt rule set is active: SES receives nothing", fix)
        if rule is None:
            return Step("receiving", False, f"the active rule set {active} lacks {self.names.rule}", fix)
        if not rule.get("Enabled"):
            return Step("receiving", False, f"{self.names.rule} in {active} is disabled", fix)
        stopped = stopped_before(described.get("Rules") or [], self.names.rule, rule.get("Recipients") or [])
        if stopped is not None:
            detail = f"{stopped[0]}, ahead of {self.names.rule} in {active}, stops SES's rules for {', '.join(stopped[1])}"
            return Step(
                "receiving",
                False,
                detail,
                f"narrow {stopped[0]}'s recipients or order it after {self.names.rule}",
            )
        return Step("receiving", True, f"{self.names.rule} is in the active rule set {active}")

    # -- 4 --------------------------------------------------------------------------
    def mail(self) -> Step:
        support = next(a for a, m in self.settings.mailboxes.items() if m == self.settings.default_mailbox)
        message_id = f"<verify-{self.nonce}@{self.settings.domain}>"  # as the index keeps it
        mail = EmailMessage()
        mail["From"] = f"inbound verify <{AGENT}@{self.settings.domain}>"
        mail["To"] = support
        mail["Subject"] = f"inbound verify {self.nonce}"
        mail["Message-ID"] = message_id
        mail.set_content("inbound verify checks that mail to this address becomes a ticket; it closes it.\n")
        started = time.monotonic()
        try:
            self._send(mail, [support])
        except ClientError as exc:
            code = error_code(exc)
            return Step(
                "mail", False, f"SES refused the test mail to {support} ({code})", "see the sending step"
            )
        tickets = self.services.ingest.ports.tickets
        mailbox = self.settings.default_mailbox
        found = self._wait(lambda: tickets.tickets_by_message_ids(mailbox, [message_id]).get(message_id))
        if not found:
            fix = "check, in order: the MX record, the receiving step, the ingest queue and its dead-letter queue, `chalice logs --name ingest`"
            return Step(
                "mail", False, f"no ticket for the test mail to {support} after {self.timeout:.0f} s", fix
            )
        self.services.desk.update(found, AGENT, status="closed")
        return Step(
            "mail", True, f"{support} -> ticket {found} in {time.monotonic() - started:.0f} s (closed)"
        )

    # -- 5 --------------------------------------------------------------------------
    def bounce(self) -> Step:
        local, _, domain = BOUNCE_SIMULATOR.partition("@")
        address = f"{local}+verify-{self.nonce}@{domain}"
        mail = EmailMessage()
        mail["From"] = f"{AGENT}@{self.settings.domain}"
        mail["To"] = address
        mail["Subject"] = f"inbound verify bounce {self.nonce}"
        mail.set_content("A send to the SES mailbox simulator's bounce address.\n")
        started = time.monotonic()
        try:
            self._send(mail, [address])
        except ClientError as exc:
            code = error_code(exc)
            return Step(
                "bounce", False, f"SES refused the send to {address} ({code})", "see the sending step"
            )

        def listed() -> Any:
            found = self.services.suppression.check(address)
            # The stage's own list: SES's account-level list does not show that feedback works.
            return found["suppressed"] and not str(found["reason"]).startswith("SES_ACCOUNT")

        if not self._wait(listed):
            fix = "check the configuration set's event destination (provision), the feedback queue and its dead-letter queue, `chalice logs --name record_feedback`"
            return Step(
                "bounce", False, f"{address} is not on the suppression list after {self.timeout:.0f} s", fix
            )
        return Step("bounce", True, f"{address} suppressed as BOUNCE in {time.monotonic() - started:.0f} s")

    # -- helpers --------------------------------------------------------------------
    def _send(self, mail: EmailMessage, to: list[str]) -> None:
        self.client("ses").send_raw_email(
            Source=f"{AGENT}@{self.settings.domain}",
            Destinations=to,
            RawMessage={"Data": mail.as_bytes()},
            ConfigurationSetName=self.settings.configuration_set,
        )

    def _wait(self, probe: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            found = probe()
            if found or time.monotonic() >= deadline:
                return found
            self.sleep(self.poll)
