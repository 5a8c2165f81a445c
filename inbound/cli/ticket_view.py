"""How the `inbound tickets` commands print a ticket: the queue as aligned columns
(`ticket_table`) and one ticket with its messages and audit trail (`ticket_page`).

Everything printed passes `terminal_text` (inbound/cli/terminal.py): a customer's subject,
name and body may carry terminal escape sequences and bidi overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from inbound.cli.terminal import terminal_text


def age(stamp: str, now: datetime | None = None) -> str:
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return "?"
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def ticket_table(tickets: list[dict[str, Any]], columns: int = 120, mailbox: bool = False) -> str:
    """Aligned columns; the subject takes what the terminal has left. `mailbox`: a MAILBOX
    column, for a list of several mailboxes."""
    heads: tuple[str, ...] = ("ID", "STATUS", "PRIORITY", "ASSIGNEE", "MSGS", "AGE", "REQUESTER")
    rows: list[tuple[str, ...]] = [
        (
            t["id"],
            t["status"],
            t.get("priority", ""),
            t.get("assignee") or "-",
            str(t.get("messages", "")),
            age(t.get("created_at", "")),
            t.get("requester", ""),
        )
        for t in tickets
    ]
    if mailbox:
        heads = (*heads[:2], "MAILBOX", *heads[2:])
        rows = [(*r[:2], t.get("mailbox") or "-", *r[2:]) for r, t in zip(rows, tickets, strict=True)]
    widths = [min(max(len(r[i]) for r in [heads, *rows]), 28) for i in range(len(heads))]
    room = max(columns - sum(widths) - 2 * len(widths), 20)
    lines = []
    for row, subject in [
        (heads, "SUBJECT"),
        *zip(rows, (t.get("subject", "") for t in tickets), strict=True),
    ]:
        cells = [_cut(value, widths[i]).ljust(widths[i]) for i, value in enumerate(row)]
        lines.append("  ".join([*cells, _cut(subject, room)]).rstrip())
    return terminal_text("\n".join(lines))


def ticket_page(detail: dict[str, Any], full: bool = False) -> str:
    t = detail["ticket"]
    lines = [
        f"{t['id']}  {t['subject']}",
        f"status {t['status']} · priority {t['priority']} · assignee {t.get('assignee') or '-'} · "
        f"mailbox {t['mailbox']} · requester {t['requester']}",
    ]
    if t.get("tags"):
        lines.append("tags: " + ", ".join(t["tags"]))
    lines.append("cc: " + (", ".join(t.get("participants") or []) or "nobody"))
    if t.get("merged_into"):
        lines.append(f"merged into {t['merged_into']}")
    reason = t.get("related_reason") or ""
    if t.get("related_ticket") and reason.startswith(("split from ", "a message was split into ")):
        lines.append(reason)  # a split links both ways, in its own words
    elif t.get("related_ticket"):
        lines.append(f"not added to {t['related_ticket']}: {reason}")
    number = 0
    for m in detail["messages"]:
        if m["kind"] == "event":  # the audit trail: one line each
            lines.append(f"  · {m['time'][:16].replace('T', ' ')} {m['sender']} {m['text']}")
            continue
        number += 1
        who = (
            f"{m['sender']} ({m['sender_name']})"
            if m.get("sender_name") and m["sender_name"] != m["sender"]
            else m["sender"]
        )
        lines += ["", "─" * 60, f"[{number}] {m['time'][:16].replace('T', ' ')} · {who} · {m['kind']}"]
        if m["direction"] == "inbound":
            lines[-1] += f" · joined by {m['thread_signal']}"
            verdicts = m.get("verdicts") or {}
            lines.append(
                "    "
                + " ".join(
                    f"{k} {verdicts[k]}" for k in ("spf", "dkim", "dmarc", "spam", "virus") if k in verdicts
                )
            )
            if m.get("authenticated") is False:
                lines.append(f"    sender not authenticated: {m.get('trust_reason') or ''}")
        body = m["text"] if full or not m.get("reply_text") else m["reply_text"]
        lines += ["", *("    " + line for line in body.rstrip().splitlines())]
        for a in m.get("attachments", []):
            lines.append(
                f"    attachment: {a['filename']} ({a['content_type']}, {a['size']} bytes, {a['disposition']}) {a['url']}"
            )
    return terminal_text("\n".join(lines))


def mailbox_note(listed: str | None, default: str, boxes: list[str]) -> str:
    """The line under `tickets list`: which mailbox it shows and how to see the others
    (the API lists one mailbox's queue, the default one unless asked)."""
    others = [b for b in boxes if b != (listed or default)]
    how = f"--mailbox {others[0]}" if others else "--mailbox NAME"
    if listed == "all":
        return f"mailboxes {', '.join(boxes)} (all)"
    shown = f"mailbox {default} (the default)" if listed is None else f"mailbox {listed}"
    if not others:
        return shown
    return f"{shown}; also {', '.join(others)}: {how}, or --mailbox all"
