"""Receipt verdicts, from an SES notification or from the headers SES adds.

SES prepends `X-SES-Spam-Verdict`, `X-SES-Virus-Verdict`, `Received-SPF` and an
`Authentication-Results` with authserv-id `amazonses.com` to every message it
stores. A sender can forge the same headers further down, so only the topmost
occurrence (the one SES added last) counts, and Authentication-Results only
when its authserv-id is a trusted one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ParsedMail, Verdict, Verdicts

TRUSTED_AUTHSERV_IDS = ("amazonses.com",)

_V = Verdict
# Received-SPF results (RFC 7208 section 9.1) mapped onto SES's status words.
_SPF_STATUS = {
    "pass": _V.PASS,
    "fail": _V.FAIL,
    "softfail": _V.GRAY,
    "neutral": _V.GRAY,
    "none": _V.GRAY,
    "temperror": _V.PROCESSING_FAILED,
    "permerror": _V.PROCESSING_FAILED,
}
_AR_STATUS = {**_SPF_STATUS, "policy": _V.FAIL}


def _status(value: Any) -> Verdict:
    if isinstance(value, Mapping):
        value = value.get("status")
    text = str(value or "").strip().upper()
    return Verdict(text) if text in Verdict.__members__ else Verdict.NONE


def from_notification(receipt: Mapping[str, Any]) -> Verdicts:
    """Verdicts from the `receipt` object of an SES Received notification."""
    dmarc = receipt.get("dmarcVerdict") or {}
    return Verdicts(
        spam=_status(receipt.get("spamVerdict")),
        virus=_status(receipt.get("virusVerdict")),
        spf=_status(receipt.get("spfVerdict")),
        dkim=_status(receipt.get("dkimVerdict")),
        dmarc=_status(dmarc),
    )


def _scrub(value: str) -> str:
    """The value without comments and with every quoted string emptied (RFC 8601 2.2).

    What is left is structure only: `method=result` and `ptype.property=value` tokens
    between `;`. A quoted local part of the MAIL FROM SES quotes back
    (`smtp.mailfrom="x; dmarc=pass"@evil.test`) is the sender's text, not a result. An
    unterminated quote or comment swallows the rest, which is then never read.
    """
    out: list[str] = []
    quoted, depth, escaped = False, 0, False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
                out.append(ch)
        elif depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if not depth:
                out.append(" ")
        elif ch == '"':
            quoted = True
            out.append(ch)
        elif ch == "(":
            depth = 1
        else:
            out.append(ch)
    return "".join(out)


@frozen
class ResInfo:
    """One `method=result ptype.property=value ...` of an Authentication-Results header."""

    method: str  # lower-case, without a version
    result: str  # lower-case
    properties: tuple[tuple[str, str], ...] = ()  # (ptype.property lower-cased, value)

    def values(self, *names: str) -> list[str]:
        return [value for name, value in self.properties if name in names]


def resinfos(value: str) -> list[ResInfo]:
    """The results of an Authentication-Results value, after its authserv-id."""
    found = []
    for segment in _scrub(value).split(";")[1:]:
        tokens = re.sub(r"\s*=\s*", "=", segment.strip()).split()
        method, eq, result = (tokens[0] if tokens else "").partition("=")
        if not eq or not result:
            continue
        props = tuple((name.lower(), prop) for name, eq, prop in (t.partition("=") for t in tokens[1:]) if eq)
        found.append(ResInfo(method.split("/")[0].lower(), result.lower(), props))
    return found


def _ar_results(value: str) -> dict[str, Verdict]:
    results: dict[str, Verdict] = {}
    for info in resinfos(value):
        if info.method in ("spf", "dkim", "dmarc"):
            results.setdefault(info.method, _AR_STATUS.get(info.result, Verdict.NONE))
    return results


def trusted_results(mail: ParsedMail, trusted: tuple[str, ...] = TRUSTED_AUTHSERV_IDS) -> str:
    """The topmost Authentication-Results when a trusted server (SES) added it, else "".

    SES prepends its own, so it is the first one; any further down (or a topmost one
    from another authserv-id, when SES added none) was written by someone else.
    """
    values = mail.header_values("authentication-results")
    if not values:
        return ""
    authserv = values[0].split(";", 1)[0].strip().split(" ", 1)[0].lower()
    return values[0] if authserv in trusted else ""


def from_headers(mail: ParsedMail, trusted: tuple[str, ...] = TRUSTED_AUTHSERV_IDS) -> Verdicts:
    """Verdicts read back from the headers SES added (replay, sweeper)."""
    spam = _status(mail.header("x-ses-spam-verdict"))
    virus = _status(mail.header("x-ses-virus-verdict"))
    spf_word = mail.header("received-spf").strip().split(" ", 1)[0].lower()
    spf = _SPF_STATUS.get(spf_word, Verdict.NONE)
    results = _ar_results(trusted_results(mail, trusted))
    return Verdicts(
        spam=spam,
        virus=virus,
        spf=results.get("spf", spf),
        dkim=results.get("dkim", Verdict.NONE),
        dmarc=results.get("dmarc", Verdict.NONE),
    )
