"""SES: sending raw mail (v1 SendRawEmail) and asking the account what it knows (sesv2).

Errors are translated by code. SendRawEmail refusals that a retry cannot cure
(MessageRejected, an unverified MAIL FROM, a paused account or configuration set)
become `SendRefused(reason="ses_rejected")`; throttling and the like propagate so
the caller's queue retries.

The look-ups (sesv2 GetSuppressedDestination and GetAccount, v1
GetIdentityVerificationAttributes) are management calls with low rate limits (about one
a second), not meant for every send: each answer is kept for `lookup_ttl` seconds per
container (the sandbox flag too, so a container notices production access within
minutes). They are optional: moto lacks some, a role may lack the permission, and SES
throttles them (Throttling, TooManyRequestsException); each case answers "SES cannot
tell" (None; for verification: not verified) instead of failing the record, and is not
kept. SES still enforces its own list and the sandbox when it sends.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.domain.refusals import RefusalReason
from chalicelib.errors import SendRefused

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sesv2 import SESV2Client

log = logging.getLogger("inbound.ses")

# SendRawEmail errors a retry will not cure.
REJECTED_CODES = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "MailFromDomainNotVerified",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "ConfigurationSetSendingPausedException",
        "AccountSendingPausedException",
        "InvalidParameterValue",
    }
)
# "This API is not here" (emulators) or "this role may not ask" (a narrow policy). A bare
# "404" is what moto's server answers for sesv2 paths it lacks; AWS says NotFoundException.
UNAVAILABLE_CODES = frozenset(
    {
        "404",
        "InvalidAction",
        "NotImplemented",
        "UnknownOperationException",
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
    }
)
# SES's answers to a management call it refuses for now: fall back, retry on a later send.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "LimitExceededException"}
)
SIMULATOR_DOMAIN = "simulator.amazonses.com"
LOOKUP_TTL_SECONDS = 300.0
T = TypeVar("T")
_UNKNOWN = object()
# SES message tag values: ASCII letters, digits, "_" and "-", at most 256 characters.
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAILBOX_TAG = "mailbox"  # the configuration sets' CloudWatch destinations use it as a dimension


class SesSender:
    def __init__(
        self,
        client: SESClient,
        configuration_set: str,
        identity_arn: str = "",
        v2_client: SESV2Client | None = None,
        lookup_ttl: float = LOOKUP_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        mailboxes: Mapping[str, str] | None = None,
    ) -> None:
        self._ses = self.client = client
        # address -> mailbox: each mail is tagged with the mailbox it is sent from
        self.mailboxes = {a.lower(): m for a, m in (mailboxes or {}).items()}
        self._v2 = v2_client
        self.configuration_set = configuration_set
        self.identity_arn = identity_arn
        self._ttl, self._clock = lookup_ttl, clock
        self._answers: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, str], ask: Callable[[], T], keep: Callable[[T], bool] = bool) -> T:
        """`ask()`'s answer, kept `lookup_ttl` seconds when `keep(answer)` (never _UNKNOWN)."""
        now = self._clock()
        with self._lock:
            kept = self._answers.get(key)
            if kept and kept[0] > now:
                return kept[1]  # type: ignore[no-any-return]
        answer = ask()
        if answer is not _UNKNOWN and keep(answer):
            with self._lock:
                if len(self._answers) > 10_000:  # a container's worth of recipients
                    self._answers.clear()
                self._answers[key] = (now + self._ttl, answer)
        return answer

    def send_raw(self, raw: bytes, source: str, destinations: list[str]) -> str:
        """Hand one message to SES; its SES message id."""
        kwargs: dict[str, Any] = {
            "Source": source,
            "Destinations": destinations,
            "RawMessage": {"Data": raw},
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        mailbox = self.mailboxes.get(parseaddr(source)[1].lower())
        if mailbox:
            # SES copies message tags into every event of the mail; the CloudWatch event
            # destination reads this one as the `mailbox` dimension (MESSAGE_TAG).
            kwargs["Tags"] = [{"Name": MAILBOX_TAG, "Value": _TAG_UNSAFE.sub("_", mailbox)[:256]}]
        if self.identity_arn:
            # Sending authorization: the identity belongs to another account that
            # authorised ours. The send counts against our quota, and its bounces and
            # complaints against our reputation (SES guide, "Delegate sender tasks").
            kwargs.update(
                SourceArn=self.identity_arn, FromArn=self.identity_arn, ReturnPathArn=self.identity_arn
            )
        try:
            return str(self._ses.send_raw_email(**kwargs)["MessageId"])
        except ClientError as exc:
            code = error_code(exc)
            if code in REJECTED_CODES:
                message = exc.response.get("Error", {}).get("Message", "")
                raise SendRefused(
                    f"SES refused the message ({code}): {message}", RefusalReason.SES_REJECTED
                ) from exc
            raise

    def account_suppressed(self, address: str) -> tuple[bool | None, str]:
        """(on SES's account-level list?, its reason); (None, "") when SES cannot tell."""
        if self._v2 is None:
            return None, ""
        answer = self._cached(
            ("suppressed", address.lower()), lambda: self._ask_suppressed(address), lambda _: True
        )
        return (None, "") if answer is _UNKNOWN else answer  # type: ignore[return-value]

    def _ask_suppressed(self, address: str) -> Any:
        assert self._v2 is not None
        try:
            found = self._v2.get_suppressed_destination(EmailAddress=address)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("NotFoundException", "NotFound"):
                return False, ""
            if code in UNAVAILABLE_CODES or code in THROTTLING_CODES:
                log.warning("SES account suppression list not available (%s)", code)
                return _UNKNOWN
            raise
        except NotImplementedError:  # moto in-process: the operation does not exist
            return _UNKNOWN
        destination = found.get("SuppressedDestination", {})
        return True, str(destination.get("Reason", ""))

    def production_access(self) -> bool | None:
        """True out of the sandbox, False in it, None when SES cannot tell."""
        answer = self._cached(("account", ""), self._ask_account, lambda _: True)
        return None if answer is _UNKNOWN else answer  # type: ignore[no-any-return]

    def _ask_account(self) -> Any:
        if self._v2 is None:
            return _UNKNOWN
        try:
            account = self._v2.get_account()
        except ClientError as exc:
            code = error_code(exc)
            if code in UNAVAILABLE_CODES or code in THROTTLING_CODES:
                log.warning("SES GetAccount not available (%s): sandbox state unknown", code)
                return _UNKNOWN
            raise
        except NotImplementedError:
            return _UNKNOWN
        value = account.get("ProductionAccessEnabled")
        return bool(value) if value is not None else _UNKNOWN

    def is_verified(self, address: str) -> bool:
        """The address, or its domain, is a verified identity (or the mailbox simulator).
        False also when SES cannot tell now (throttled): the sandbox would refuse the send.
        Only a verified answer is kept: an operator verifying a recipient is seen at once."""
        domain = address.rpartition("@")[2]
        if domain == SIMULATOR_DOMAIN:
            return True
        answer = self._cached(
            ("verified", address.lower()), lambda: self._ask_verified(address, domain), bool
        )
        return False if answer is _UNKNOWN else bool(answer)

    def _ask_verified(self, address: str, domain: str) -> Any:
        try:
            found = self._ses.get_identity_verification_attributes(Identities=[address, domain])
        except ClientError as exc:
            if error_code(exc) in THROTTLING_CODES:
                log.warning(
                    "SES GetIdentityVerificationAttributes throttled: %s taken as unverified", address
                )
                return _UNKNOWN
            raise
        statuses = {
            i: a.get("VerificationStatus") for i, a in found.get("VerificationAttributes", {}).items()
        }
        return any(statuses.get(i) == "Success" for i in (address, domain))
