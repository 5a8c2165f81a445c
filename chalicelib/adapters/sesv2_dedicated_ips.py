"""A standard dedicated IP pool's warm-up (sesv2 GetDedicatedIps): what announcements may send today.

GetDedicatedIps is a management call with a low rate limit; the sender reads it once per
batch of recipients. When SES cannot say (throttled, unavailable), the answer is None and
the batch is held back whole (see announcement_sending): sending blind through a cold IP
is the one thing the plan is there to prevent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.ses_sender import THROTTLING_CODES, UNAVAILABLE_CODES
from chalicelib.domain.warmup import IpWarmup, WarmupPlan

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

log = logging.getLogger("inbound.ses")


def warmup_plan(client: SESV2Client, pool: str) -> WarmupPlan | None:
    ips: list[IpWarmup] = []
    kwargs: dict[str, Any] = {"PoolName": pool}
    try:
        while True:
            page = client.get_dedicated_ips(**kwargs)
            ips += [
                IpWarmup(ip["Ip"], ip["WarmupStatus"], int(ip["WarmupPercentage"]))
                for ip in page.get("DedicatedIps") or []
            ]
            if not page.get("NextToken"):
                return WarmupPlan(pool, tuple(ips))
            kwargs["NextToken"] = page["NextToken"]
    except ClientError as exc:
        code = error_code(exc)
        if code in UNAVAILABLE_CODES or code in THROTTLING_CODES:
            log.warning(
                "SES GetDedicatedIps not available (%s): announcements wait for the warm-up plan", code
            )
            return None
        raise
