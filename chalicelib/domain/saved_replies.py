"""Saved replies (macros) of a mailbox, their placeholders, and an agent's signature.

A saved reply's body is the composer's markdown with placeholders: `{{customer_name}}`,
or `{{customer_name|there}}` to say what stands when the ticket has no value. A body with
anything in `{{ }}` that is not a known placeholder is refused when it is saved, so a typo
never reaches a customer as `{{custmer_name}}`. Filling, a missing value without a fallback
is left out with the space before it: "Hello {{customer_name}}," becomes "Hello,".
What a customer wrote (their name, the subject, their address) goes in with markdown's markers escaped, so
it reads as they wrote it and never becomes a link or emphasis in the reply.
"""

from __future__ import annotations

import re
import unicodedata

from chalicelib.domain.frozen import frozen

PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the customer's name as their mail gave it",
    "customer_first_name": "the first word of the customer's name",
    "customer_email": "the customer's address",
    "ticket_id": "the ticket's id, e.g. T-1042",
    "ticket_subject": "the ticket's subject",
    "agent_name": "your display name (Settings), else your address",
    "mailbox": "the ticket's mailbox",
}
TITLE_LIMIT, BODY_LIMIT = 100, 20_000
DISPLAY_NAME_LIMIT, SIGNATURE_LIMIT = 64, 2_000
REPLIES_PER_MAILBOX = 500
# Anything in double braces: each must be one of PLACEHOLDERS, with an optional fallback.
_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"^\s*([a-z_]+)\s*(?:\|([^{}\n]*))?$")
_SLOT = re.compile(r"( ?)\{\{(.*?)\}\}", re.DOTALL)
# What domain/markdown_render.py reads as markup; ":" too, so an address is no bare link.
_MARKUP = re.compile(r"([\\`*_\[\]<>:])")


class TemplateError(ValueError):
    """A saved reply, name or signature that cannot be kept as written."""


@frozen
class SavedReply:
    mailbox: str
    id: str
    title: str
    body: str
    updated_at: str = ""
    updated_by: str = ""


@frozen
class AgentProfile:
    agent: str
    display_name: str = ""
    signature: str = ""


def unsigned(text: str, signature: str) -> str:
    """A signed reply's text as the agent wrote it: the `-- ` block the composer added at
    send (services/composer.py) taken off, so a reply given back to the box is not signed twice."""
    head, sep, tail = text.rpartition("\n-- \n")
    if sep and signature.strip() and tail.strip() == signature.strip():
        return head.rstrip()
    return text


def check_reply(title: str, body: str) -> tuple[str, str]:
    """The title and body, trimmed, or TemplateError saying what to change."""
    title, body = _one_line(title), body.strip()
    if not title:
        raise TemplateError("give the saved reply a title")
    if len(title) > TITLE_LIMIT:
        raise TemplateError(f"the title is {len(title)} characters; at most {TITLE_LIMIT}")
    if not body:
        raise TemplateError("the saved reply is empty: write its text")
    if len(body) > BODY_LIMIT:
        raise TemplateError(f"the text is {len(body)} characters; at most {BODY_LIMIT}")
    unknown = [f"{{{{{raw}}}}}" for raw in _BRACES.findall(body) if not _known(raw)]
    if unknown:
        known = ", ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS)
        raise TemplateError(f"unknown placeholder {', '.join(dict.fromkeys(unknown))}: use {known}")
    return title, body


def check_profile(display_name: str, signature: str) -> tuple[str, str]:
    """A display name fit for a From header (one line, no controls) and a signature."""
    name = _one_line(display_name)
    if len(name) > DISPLAY_NAME_LIMIT:
        raise TemplateError(f"the display name is {len(name)} characters; at most {DISPLAY_NAME_LIMIT}")
    if any(c in name for c in '<>@"\\'):
        raise TemplateError("the display name is a name: no <, >, @, quotes or backslashes")
    signature = "\n".join(line.rstrip() for line in _no_controls(signature, keep="\n").strip().splitlines())
    if len(signature) > SIGNATURE_LIMIT:
        raise TemplateError(f"the signature is {len(signature)} characters; at most {SIGNATURE_LIMIT}")
    return name, signature


def fill(body: str, values: dict[str, str]) -> str:
    """The body with each placeholder replaced; `values` are already escaped where needed."""

    def slot(match: re.Match[str]) -> str:
        space, raw = match.group(1), match.group(2)
        parsed = _PLACEHOLDER.match(raw)
        if parsed is None or parsed.group(1) not in PLACEHOLDERS:
            return match.group(0)  # saved before the check: shown as written, for the agent to see
        value = values.get(parsed.group(1), "") or (parsed.group(2) or "").strip()
        return f"{space}{value}" if value else ""

    return _SLOT.sub(slot, body)


def escape_markup(value: str) -> str:
    """`value` as literal text in the composer's markdown (one line)."""
    return _MARKUP.sub(r"\\\1", _one_line(value))


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else ""


def _known(raw: str) -> bool:
    parsed = _PLACEHOLDER.match(raw)
    return parsed is not None and parsed.group(1) in PLACEHOLDERS


def _one_line(value: str) -> str:
    return " ".join(_no_controls(value, keep="\n\t").split())


def _no_controls(value: str, keep: str = "") -> str:
    return "".join(c for c in value if c in keep or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
