"""DNS as `inbound verify` sees it: what a stage's zone must hold, and a resolver port.

`Resolver.lookup(name, type)` answers the record values as strings (MX as
"10 host.", TXT joined, CNAME the target). Two implementations:

- `PublicDns`: real DNS through dnspython and the system's resolver (an operator's
  machine checking a live stage).
- `ZoneFile`: the records the local stack "publishes" (`<data dir>/dns-zone.json`,
  written by `inbound up` from what provision prints), so the checks run against
  `inbound up` without a query leaving the machine; a test breaks a record by editing it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from inbound.stage.provision.report import DnsRecord
from inbound.stage.provision.ses import records_to_publish

ZONE_FILE = "dns-zone.json"


class Resolver(Protocol):
    def lookup(self, name: str, rtype: str) -> list[str]: ...


class PublicDns:
    """The system's resolver (dnspython); a missing name or type answers []."""

    def lookup(self, name: str, rtype: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = dns.resolver.resolve(name, rtype, lifetime=10)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return []
        except dns.exception.Timeout:
            return []
        if rtype == "TXT":
            return [b"".join(r.strings).decode(errors="replace") for r in answer]
        return [r.to_text() for r in answer]


class ZoneFile:
    """Records from a JSON list of {"name", "type", "value"} (the local stack's zone)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lookup(self, name: str, rtype: str) -> list[str]:
        if not self.path.exists():
            return []
        records = json.loads(self.path.read_text())
        wanted = name.lower().rstrip(".")
        return [
            str(r["value"])
            for r in records
            if str(r["name"]).lower().rstrip(".") == wanted and str(r["type"]).upper() == rtype
        ]


def expected_records(ses: Any, domain: str, region: str) -> list[DnsRecord]:
    """The records provision printed for `domain`, from what SES holds (DKIM tokens, MAIL FROM)."""
    dkim = ses.get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"].get(domain, {})
    attrs = ses.get_identity_mail_from_domain_attributes(Identities=[domain])["MailFromDomainAttributes"]
    mail_from = attrs.get(domain, {}).get("MailFromDomain") or f"bounce.{domain}"
    return records_to_publish(domain, region, list(dkim.get("DkimTokens") or []), mail_from)


def publish_local_zone(ses: Any, domain: str, region: str, data_dir: Path) -> Path:
    """The local stack's zone: what an operator would publish, written once (then the
    file is the zone: edit it to try a broken record)."""
    path = data_dir / ZONE_FILE
    if not path.exists():
        records = [asdict(r) for r in expected_records(ses, domain, region)]
        path.write_text(json.dumps(records, indent=2) + "\n")
    return path


def _host(value: str) -> str:
    return value.split()[-1].lower().rstrip(".")


def missing_records(resolver: Resolver, expected: list[DnsRecord]) -> list[DnsRecord]:
    """The expected records the resolver does not answer (as SES would judge them)."""
    missing = []
    for record in expected:
        found = resolver.lookup(record.name, record.type)
        if record.type in ("MX", "CNAME"):
            ok = _host(record.value) in {_host(v) for v in found}
        elif record.value.startswith("v=spf1"):
            ok = any(v.startswith("v=spf1") and "include:amazonses.com" in v.split() for v in found)
        elif record.value.startswith("v=DMARC1"):
            ok = any(v.replace(" ", "").startswith("v=DMARC1;") for v in found)
        else:
            ok = record.value in found
        if not ok:
            missing.append(record)
    return missing
