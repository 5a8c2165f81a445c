"""SES address identities, emulated for the local stack: pending until the mailed link is followed.

moto 5.2.5 calls every identity verified the moment it exists. SES verifies no address that
way: CreateEmailIdentity with an address mails it a link, and the address stays PENDING
(GetIdentityVerificationAttributes says Pending; mail from it is refused, and in the sandbox
mail to it) until someone follows the link. With an emulator (`ses_sending`) installed for
the account and Region, as `inbound up` installs one:

- sesv2 CreateEmailIdentity of an address leaves it PENDING and puts SES's verification mail
  in the outbox (`inbound outbox`), with a link to this moto server; creating an identity
  that exists is refused (AlreadyExistsException), as SES refuses it;
- following the link (a GET, as a browser does) makes it SUCCESS;
- GetIdentityVerificationAttributes, sesv2 List/GetEmailIdentity and the sandbox check
  (`backend._is_verified_address`) say what the identity's status is;
- the addresses and their states live in the data dir's `ses-identities.json`, so they
  survive a restart (provision re-creates only the stage's domain).

SES's own link is presigned (it carries X-Amz-Credential); this one does too, which is what
moto_endpoint's guard lets through without an Authorization header. v1's VerifyEmailIdentity
stays moto's (verified at once): tests use it for an address verified long ago.
"""

from __future__ import annotations

import email.utils
import json
import secrets
import threading
import time
import urllib.parse
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from inbound.local import ses_outbox

_CONFIRM_PATH = "{0}/ses_(?P<region>[^/]+)/confirm-verification$"
_V1_STATUS = {
    "SUCCESS": "Success",
    "PENDING": "Pending",
    "FAILED": "Failed",
    "TEMPORARY_FAILURE": "TemporaryFailure",
    "NOT_STARTED": "NotStarted",
}
SES_SENDER = "no-reply-aws@amazon.com"
_lock = threading.Lock()
_installed = False


def _file(emulator: Any) -> Path:
    return Path(emulator.data_dir) / "ses-identities.json"


def _saved(emulator: Any) -> dict[str, dict[str, str]]:
    try:
        return dict(json.loads(_file(emulator).read_text()))
    except FileNotFoundError:
        return {}


def _keep(emulator: Any, name: str, entry: dict[str, str] | None) -> None:
    with _lock:
        saved = _saved(emulator)
        if entry is None:
            saved.pop(name, None)
        else:
            saved[name] = entry
        path = _file(emulator)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(saved, indent=1, sort_keys=True))
        partial.replace(path)


def _emulator(account: str, region: str) -> Any:
    from inbound.local.ses_sending import _emulators

    return _emulators.get((account, region))


def _set_status(identity: Any, status: str) -> None:
    identity.verification_status = status
    identity.verified_for_sending_status = status == "SUCCESS"


def install() -> None:
    """Patch moto's SES in this process (idempotent); before moto's server starts, as the
    confirmation route joins moto's SES v1 routes."""
    global _installed
    if _installed:
        return
    from moto.ses import urls
    from moto.ses.models import SESBackend
    from moto.sesv2.models import SESV2Backend

    urls.url_paths.setdefault(_CONFIRM_PATH, _confirm)
    _originals["create"] = SESV2Backend.create_email_identity
    _originals["attributes"] = SESBackend.get_identity_verification_attributes
    SESV2Backend.create_email_identity = _create  # type: ignore[method-assign]
    SESV2Backend.delete_email_identity = _delete  # type: ignore[method-assign]
    SESBackend.delete_identity = _delete_identity  # type: ignore[method-assign]
    SESBackend.get_identity_verification_attributes = _attributes  # type: ignore[method-assign]
    SESBackend._is_verified_address = _is_verified  # type: ignore[method-assign]
    _installed = True


# -- what replaces moto's methods (self: moto's SESV2Backend or SESBackend) -----------------------
_originals: dict[str, Any] = {}


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _create(self: Any, email_identity: str, *args: Any, **kwargs: Any) -> Any:
    if email_identity in self.core_backend.email_identities:
        raise _error("AlreadyExistsException", f"Email identity {email_identity} already exist.")
    identity = _originals["create"](self, email_identity, *args, **kwargs)
    emulator = _emulator(self.account_id, self.region_name)
    if emulator is not None and "@" in email_identity:
        _mail_verification(emulator, identity)
    return identity


def _delete(self: Any, email_identity: str) -> None:
    if email_identity not in self.core_backend.email_identities:
        raise _error("NotFoundException", f"Email identity {email_identity} does not exist.")
    self.core_backend.delete_identity(email_identity)


def _delete_identity(self: Any, identity: str) -> None:
    # moto deletes only what it calls verified: a pending address would stay.
    self.email_identities.pop(identity, None)
    emulator = _emulator(self.account_id, self.region_name)
    if emulator is not None:
        _keep(emulator, identity, None)


def _attributes(self: Any, identities: list[str] | None = None) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = _originals["attributes"](self, identities)
    for name, attributes in found.items():
        status = getattr(self.email_identities.get(name), "verification_status", "SUCCESS")
        attributes["VerificationStatus"] = _V1_STATUS.get(status, "Success")
    return found


def _is_verified(self: Any, source: str) -> bool:
    address = email.utils.parseaddr(source)[1]
    for name in (address, address.rpartition("@")[2]):
        identity = self.email_identities.get(name)
        if identity is not None and identity.verification_status == "SUCCESS":
            return True
    return False


def restore(emulator: Any) -> None:
    """Put the addresses of earlier runs back into moto's SES, each in its state."""
    from moto.ses.models import ses_backends

    backend = ses_backends[emulator.account][emulator.region]
    for name, entry in _saved(emulator).items():
        if name not in backend.email_identities:
            backend.create_email_identity_v2(name, None, None, None)
        _set_status(backend.email_identities[name], entry.get("status", "PENDING"))


def verification_link(emulator: Any, address: str, token: str) -> str:
    day = time.strftime("%Y%m%d", time.gmtime())
    query = urllib.parse.urlencode(
        {
            "Identity.IdentityName": address,
            "Identity.IdentityType": "EmailAddress",
            "Context": token,
            "X-Amz-Credential": f"embedded/{day}/{emulator.region}/ses/aws4_request",
        }
    )
    return f"{emulator.endpoint_url}/ses_{emulator.region}/confirm-verification?{query}"


def _mail_verification(emulator: Any, identity: Any) -> None:
    address, token = identity.email_identity, secrets.token_urlsafe(24)
    _set_status(identity, "PENDING")
    _keep(emulator, address, {"status": "PENDING", "token": token})
    mail = EmailMessage()
    mail["From"] = f"Amazon Web Services <{SES_SENDER}>"
    mail["To"] = address
    mail["Subject"] = f"Email Address Verification Request in region {emulator.region}"
    mail["Date"] = email.utils.formatdate(usegmt=True)
    message_id = secrets.token_hex(16)
    mail["Message-ID"] = f"<{message_id}@email.amazonses.com>"
    mail.set_content(
        "We have received a request to authorize this email address for use with Amazon SES\n"
        f"in region {emulator.region}. To confirm that you are authorized to use this address,\n"
        "go to the following URL (the local stack's emulated SES):\n\n"
        f"{verification_link(emulator, address, token)}\n",
        cte="7bit",  # the link on one line, as a person copies it (quoted-printable would fold it)
    )
    ses_outbox.write(emulator.outbox, message_id, SES_SENDER, (address,), mail.as_string(), [])


_PAGE = {"Content-Type": "text/plain; charset=utf-8"}


def _confirm(request: Any, full_url: str, headers: dict[str, str]) -> Any:
    """The verification link: the identity becomes SUCCESS when its token is the one mailed."""
    from moto.ses.models import ses_backends

    from inbound.local.ses_sending import _emulators

    parsed = urllib.parse.urlsplit(full_url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    region = parsed.path.split("/")[1].removeprefix("ses_")
    address, token = query.get("Identity.IdentityName", ""), query.get("Context", "")
    for (account, emulated_region), emulator in list(_emulators.items()):
        entry = _saved(emulator).get(address)
        if emulated_region != region or entry is None or not secrets.compare_digest(entry["token"], token):
            continue
        identity = ses_backends[account][region].email_identities.get(address)
        if identity is None:
            break
        _set_status(identity, "SUCCESS")
        _keep(emulator, address, {**entry, "status": "SUCCESS"})
        return 200, _PAGE, f"Congratulations! {address} is now verified for Amazon SES in {region}.\n"
    return 400, _PAGE, "This verification link is not valid (the identity was removed, or created again).\n"
