"""SES's sending quota (sesv2 GetAccount's SendQuota): the rate and 24-hour budget announcements keep to.

GetAccount is a management call with a low rate limit; one per batch of recipients is far
below it. When SES cannot say (an emulator without the call, a role without the permission,
throttling) the answer is None and the caller falls back to a cautious rate.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.ses_sender import THROTTLING_CODES, UNAVAILABLE_CODES
from chalicelib.domain.announcements import SendQuota

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

log = logging.getLogger("inbound.ses")


def send_quota(client: SESV2Client) -> SendQuota | None:
    try:
        account = client.get_account()
    except ClientError as exc:
        code = error_code(exc)
        if code in UNAVAILABLE_CODES or code in THROTTLING_CODES:
            log.warning("SES GetAccount not available (%s): announcements keep to the fallback rate", code)
            return None
        raise
    except NotImplementedError:  # moto in-process lacks the operation
        return None
    quota = account.get("SendQuota")
    if not quota or "MaxSendRate" not in quota:
        return None
    return SendQuota(
        max_24_hour=float(quota.get("Max24HourSend", -1)),
        max_rate=float(quota["MaxSendRate"]),
        sent_last_24_hours=float(quota.get("SentLast24Hours", 0)),
    )
