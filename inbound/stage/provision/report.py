"""What `inbound provision` did, and the plain-text rendering an operator reads.

Actions, per resource:

- ``created``: it did not exist and now does.
- ``changed``: it existed with a property that differed; the property was put back.
- ``unchanged``: it existed exactly as wanted; no write call was made.
- ``unsupported-here``: the endpoint (an emulator, e.g. moto) lacks the API needed to
  read or fix it; ``detail`` names the gap. Never seen against real AWS.
- ``deleted`` / ``kept`` / ``absent``: teardown outcomes (see ``provision.delete``); a
  dry run's plan says ``would delete`` / ``would change`` instead (``as_plan``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

CREATED = "created"
CHANGED = "changed"
UNCHANGED = "unchanged"
UNSUPPORTED = "unsupported-here"
DELETED = "deleted"
KEPT = "kept"
ABSENT = "absent"


@dataclass(frozen=True)
class ReportEntry:
    resource: str  # kind, e.g. "sqs-queue"
    name: str
    action: str
    detail: str = ""


@dataclass(frozen=True)
class DnsRecord:
    name: str
    type: str
    value: str
    purpose: str
    note: str = ""  # printed under the table


@dataclass
class ProvisionReport:
    stage: str
    region: str
    account: str
    entries: list[ReportEntry] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    dns_records: list[DnsRecord] = field(default_factory=list)

    def add(self, resource: str, name: str, action: str, detail: str = "") -> ReportEntry:
        entry = ReportEntry(resource, name, action, detail)
        self.entries.append(entry)
        return entry

    def record(self, resource: str, name: str, *, created: bool, changes: list[str]) -> str:
        """Add the entry a reconcile step earned: created, changed (with what) or unchanged."""
        if created:
            action = CREATED
        elif changes:
            action = CHANGED
        else:
            action = UNCHANGED
        self.add(resource, name, action, "; ".join(changes))
        return action

    def action(self, resource: str, name: str | None = None) -> str:
        """The action of the one entry for `resource` (and `name`, when several share a kind)."""
        found = [e for e in self.entries if e.resource == resource and (name is None or e.name == name)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} report entries for {resource} {name or ''}".strip())
        return found[0].action

    @property
    def gaps(self) -> list[ReportEntry]:
        return [e for e in self.entries if e.action == UNSUPPORTED]


_PLANNED = {DELETED: "would delete", CHANGED: "would change"}


def as_plan(report: ProvisionReport) -> ProvisionReport:
    """A dry run's report, worded as what the real run would do."""
    entries = [
        ReportEntry(e.resource, e.name, _PLANNED.get(e.action, e.action), e.detail) for e in report.entries
    ]
    return ProvisionReport(report.stage, report.region, report.account, entries, dict(report.outputs))


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def render_resources(report: ProvisionReport) -> str:
    """One line per resource: kind, name, action, and what changed (if anything)."""
    rows = [(e.resource, e.name, e.action, e.detail) for e in report.entries]
    return "\n".join(_table(("RESOURCE", "NAME", "ACTION", "DETAIL"), rows))


def render_summary(report: ProvisionReport) -> str:
    """One line an operator can read without the table: what the run did, by action."""
    counts: dict[str, int] = {}
    for entry in report.entries:
        counts[entry.action] = counts.get(entry.action, 0) + 1
    if set(counts) == {UNCHANGED}:
        return f"Nothing changed: all {counts[UNCHANGED]} resources are as wanted."
    return "Summary: " + ", ".join(f"{count} {action}" for action, count in counts.items()) + "."


def render_dns(report: ProvisionReport) -> str:
    """The records to publish in the domain's zone, ready to copy."""
    if not report.dns_records:
        return ""
    rows = [(r.name, r.type, r.value, r.purpose) for r in report.dns_records]
    title = "DNS records to publish (TXT values without the surrounding quotes):"
    notes = [f"Note: {r.note}" for r in report.dns_records if r.note]
    return "\n".join([title, *_table(("NAME", "TYPE", "VALUE", "PURPOSE"), rows), *notes])


def render_report(report: ProvisionReport) -> str:
    """The whole report as an operator reads it after `inbound provision`."""
    head = f"inbound stage {report.stage} in {report.region} (account {report.account})"
    parts = [head, "", render_resources(report), "", render_summary(report)]
    dns = render_dns(report)
    if dns:
        parts += ["", dns]
    if report.gaps:
        parts += ["", "Not checkable on this endpoint (emulator gaps):"]
        parts += [f"  {e.resource} {e.name}: {e.detail}" for e in report.gaps]
    return "\n".join(parts) + "\n"
