"""SES: sending raw mail (v1 SendRawEmail) and asking the account what it knows (sesv2).

Errors are translated by code. SendRawEmail refusals that a retry cannot cure
(MessageRejected, an unverified MAIL FROM, a paused account or configuration set)
become `SendRefused(reason="ses_rejected")`; throttling and the like propagate so
the caller's queue retries.

The sesv2 look-ups (GetSuppressedDestination, GetAccount) are optional: moto has
neither, and a role may lack the permission. Either case answers None ("SES cannot
tell") instead of refusing mail; SES still enforces its own list when it sends.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
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
SIMULATOR_DOMAIN = "simulator.amazonses.com"


class SesSender:
    def __init__(
        self,
        client: SESClient,
        configuration_set: str,
        identity_arn: str = "",
        v2_client: SESV2Client | None = None,
    ) -> None:
        self._ses = self.client = client
        self._v2 = v2_client
        self.configuration_set = configuration_set
        self.identity_arn = identity_arn
        self._production: bool | None = None
        self._production_known = False
        self._lock = threading.Lock()

    def send_raw(self, raw: bytes, source: str, destinations: list[str]) -> str:
        """Hand one message to SES; its SES message id."""
        kwargs: dict[str, Any] = {
            "Source": source,
            "Destinations": destinations,
            "RawMessage": {"Data": raw},
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        if self.identity_arn:
            # Sending authorization: the identity belongs to another account that
            # authorised ours; SES bills and reports against that identity.
            kwargs.update(
                SourceArn=self.identity_arn, FromArn=self.identity_arn, ReturnPathArn=self.identity_arn
            )
        try:
            return str(self._ses.send_raw_email(**kwargs)["MessageId"])
        except ClientError as exc:
            code = error_code(exc)
            if code in REJECTED_CODES:
                message = exc.response.get("Error", {}).get("Message", "")
                raise SendRefused(f"SES refused the message ({code}): {message}", "ses_rejected") from exc
            raise

    def account_suppressed(self, address: str) -> tuple[bool | None, str]:
        """(on SES's account-level list?, its reason); (None, "") when SES cannot tell."""
        if self._v2 is None:
            return None, ""
        try:
            found = self._v2.get_suppressed_destination(EmailAddress=address)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("NotFoundException", "NotFound"):
                return False, ""
            if code in UNAVAILABLE_CODES:
                log.warning("SES account suppression list not available (%s)", code)
                return None, ""
            raise
        except NotImplementedError:  # moto in-process: the operation does not exist
            return None, ""
        destination = found.get("SuppressedDestination", {})
        return True, str(destination.get("Reason", ""))

    def production_access(self) -> bool | None:
        """True out of the sandbox, False in it, None when SES cannot tell. Asked once."""
        with self._lock:
            if not self._production_known:
                self._production = self._ask_account()
                self._production_known = True
            return self._production

    def _ask_account(self) -> bool | None:
        if self._v2 is None:
            return None
        try:
            account = self._v2.get_account()
        except ClientError as exc:
            if error_code(exc) in UNAVAILABLE_CODES:
                log.warning("SES GetAccount not available (%s): sandbox state unknown", error_code(exc))
                return None
            raise
        except NotImplementedError:
            return None
        value = account.get("ProductionAccessEnabled")
        return bool(value) if value is not None else None

    def is_verified(self, address: str) -> bool:
        """The address, or its domain, is a verified identity (or the mailbox simulator)."""
        domain = address.rpartition("@")[2]
        if domain == SIMULATOR_DOMAIN:
            return True
        found = self._ses.get_identity_verification_attributes(Identities=[address, domain])
        statuses = {
            i: a.get("VerificationStatus") for i, a in found.get("VerificationAttributes", {}).items()
        }
        return any(statuses.get(i) == "Success" for i in (address, domain))
