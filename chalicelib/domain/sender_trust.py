"""Sender trust: is the From address of a received mail the one who sent it?

Mail headers are claims. The one policy (SECURITY.md) is:

- SES's DMARC verdict PASS: authenticated (DMARC checked SPF/DKIM alignment with From).
- DMARC GRAY (the From domain publishes no DMARC record): authenticated when SPF or
  DKIM passed for a domain *aligned* with the From domain. The domains come from what
  SES itself recorded: the envelope MAIL FROM (the notification's `mail.source`, else the
  topmost Return-Path SES writes) and the `header.d` / `header.i` of the dkim results in
  the topmost Authentication-Results when SES added it (verdicts.trusted_results).
- DMARC FAIL, PROCESSING_FAILED, or no verdict at all: not authenticated.
- A From naming more than one mailbox (or none): never authenticated. DMARC judged
  one domain and mail clients disagree on which mailbox they show (RFC 7489 6.6.1).

Alignment is relaxed (RFC 7489 3.1) but judged without the Public Suffix List (the
domain layer has only the standard library): two domains align when one is the other
or a subdomain of it (`bounce.example.com` aligns with `example.com`), and never
through a bare top-level domain or a well-known shared suffix. Sibling subdomains
(`a.example.com`, `b.example.com`) do not align here: stricter than DMARC, never
looser, so a shared hosting suffix (`victim.github.io`, `evil.github.io`) cannot align.
"""

from __future__ import annotations

from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import Address, ParsedMail, ReceivedMail, Verdict
from chalicelib.domain.verdicts import resinfos, trusted_results

# Suffixes under which unrelated owners register names; a domain equal to one of them
# is never an alignment anchor. A short list, not the PSL: see the module docstring.
_SHARED_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "co.jp",
        "ne.jp", "or.jp", "co.in", "co.za", "com.br", "com.cn", "com.mx", "com.tr",
        "co.kr", "com.sg", "com.hk", "com.tw", "co.il", "com.ar",
    }
)  # fmt: skip


@frozen
class SenderTrust:
    """Whether the From mailbox is proven, and why (shown to staff)."""

    authenticated: bool
    reason: str


@frozen
class Evidence:
    """The domains SES's SPF and DKIM checks passed for, as SES recorded them."""

    spf_domains: tuple[str, ...] = ()
    dkim_domains: tuple[str, ...] = ()


def _domain(text: str) -> str:
    return text.strip().strip("<>").rpartition("@")[2].strip().rstrip(".").lower()


def aligned(a: str, b: str) -> bool:
    """Relaxed alignment, judged by ancestry (see the module docstring)."""
    a, b = a.rstrip(".").lower(), b.rstrip(".").lower()
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    if short.count(".") < 1 or short in _SHARED_SUFFIXES:
        return False
    return long_ == short or long_.endswith("." + short)


def evidence(mail: ParsedMail, received: ReceivedMail) -> Evidence:
    """What SES's own checks passed for: its Authentication-Results, and the envelope.

    The SPF domain is the MAIL FROM SES checked: the notification's `mail.source`, else
    the topmost Return-Path (SES writes it above everything the sender sent).
    """
    results = resinfos(trusted_results(mail))
    passed = [r for r in results if r.result == "pass"]
    dkim = tuple(
        dict.fromkeys(
            _domain(d) for r in passed if r.method == "dkim" for d in r.values("header.d", "header.i")
        )
    )
    spf = [
        _domain(d) for r in passed if r.method == "spf" for d in r.values("smtp.mailfrom", "envelope-from")
    ]
    if received.verdicts.spf == Verdict.PASS:
        envelope = received.envelope_from or (mail.header_values("return-path") or [""])[0]
        spf.append(_domain(envelope))
    return Evidence(spf_domains=tuple(dict.fromkeys(d for d in spf if d)), dkim_domains=dkim)


def judge(
    dmarc: Verdict, spf: Verdict, dkim: Verdict, from_: tuple[Address, ...], found: Evidence
) -> SenderTrust:
    """The policy itself, on SES's verdict words."""
    if len(from_) != 1:
        return SenderTrust(False, f"From names {len(from_)} mailboxes" if from_ else "no From mailbox")
    domain = from_[0].domain
    if dmarc == Verdict.PASS:
        return SenderTrust(True, f"DMARC pass for {domain}")
    if dmarc != Verdict.GRAY:
        words = {Verdict.FAIL: "DMARC failed", Verdict.PROCESSING_FAILED: "DMARC could not be checked"}
        return SenderTrust(False, f"{words.get(dmarc, 'no DMARC verdict')} for {domain}")
    if spf == Verdict.PASS:
        for checked in found.spf_domains:
            if aligned(checked, domain):
                return SenderTrust(True, f"no DMARC record; SPF pass for {checked}, aligned with {domain}")
    if dkim == Verdict.PASS:
        for signer in found.dkim_domains:
            if aligned(signer, domain):
                return SenderTrust(True, f"no DMARC record; DKIM pass for {signer}, aligned with {domain}")
    return SenderTrust(False, f"no DMARC record for {domain} and no SPF or DKIM pass aligned with it")


def assess(mail: ParsedMail, received: ReceivedMail) -> SenderTrust:
    """The policy applied to one received mail and what SES told about its delivery."""
    v = received.verdicts
    return judge(v.dmarc, v.spf, v.dkim, mail.from_, evidence(mail, received))
