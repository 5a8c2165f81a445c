"""sesv2 GetAccount and GetSuppressedDestination for the local stack, answered from the
SES emulator (`ses_sending`).

moto 5.2.5's sesv2 has neither: its server answers 404 for their paths, so the outbound
guard could not tell the sandbox state or the account-level list and warned on every
send. The emulator knows both; these routes are added before moto builds its sesv2 app.
"""

from __future__ import annotations

import json
import time
from typing import Any

from inbound.local.ses_sending import SANDBOX_DAILY_QUOTA, SANDBOX_RATE_PER_SECOND, SesEmulator, _emulators

_ACCOUNT_PATH = "{0}/v2/email/account$"
_SUPPRESSED_PATH = "{0}/v2/email/suppression/addresses/(?P<address>[^/]+)$"
_JSON = {"Content-Type": "application/json"}


def serve_account_api() -> None:
    """Adds the routes (idempotent). moto's server builds its sesv2 app from these paths on
    its first sesv2 request (provision's event destination), so embedded.emulated_aws adds
    them before any server starts."""
    from moto.sesv2 import urls

    urls.url_paths.setdefault(_ACCOUNT_PATH, _get_account)
    urls.url_paths.setdefault(_SUPPRESSED_PATH, _get_suppressed_destination)


def _emulator_of(headers: dict[str, str]) -> SesEmulator | None:
    # SigV4: Credential=<key>/<date>/<region>/ses/aws4_request
    scope = headers.get("Authorization", "").partition("Credential=")[2].split("/")
    region = scope[2] if len(scope) > 2 else ""
    found = [e for (_, r), e in _emulators.items() if r == region]
    return found[0] if len(found) == 1 else None


def _get_account(request: Any, full_url: str, headers: dict[str, str]) -> Any:
    emulator = _emulator_of(headers)
    sandbox = bool(emulator and emulator.sandbox)
    quota = (SANDBOX_DAILY_QUOTA, SANDBOX_RATE_PER_SECOND) if sandbox else (50000.0, 14.0)
    account = {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": not sandbox,
        "SendingEnabled": True,
        "SendQuota": {
            "Max24HourSend": float(quota[0]),
            "MaxSendRate": float(quota[1]),
            "SentLast24Hours": float(len(emulator._sends) if emulator else 0),
        },
        "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    }
    return 200, _JSON, json.dumps(account)


def _get_suppressed_destination(request: Any, full_url: str, headers: dict[str, str]) -> Any:
    import urllib.parse

    address = urllib.parse.unquote(full_url.split("?")[0].rsplit("/", 1)[1]).lower()
    emulator = _emulator_of(headers)
    reason = emulator.account_suppression_reasons().get(address) if emulator else None
    if reason is None:
        error = {
            "__type": "NotFoundException",
            "message": f"Email address {address} does not exist on your suppression list.",
        }
        return 404, {**_JSON, "x-amzn-ErrorType": "NotFoundException"}, json.dumps(error)
    found = {"EmailAddress": address, "Reason": reason, "LastUpdateTime": time.time()}
    return 200, _JSON, json.dumps({"SuppressedDestination": found})
