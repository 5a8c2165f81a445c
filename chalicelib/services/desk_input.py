"""What a staff request may name, as the desk checks it: a configured mailbox, an assignee
("me", "none" or an agent's sign-in name), a status or priority word, tags, a subject, a
page size.
Each check answers InvalidRequest, whose text the API and the CLI show as it is."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, TypeVar

from chalicelib.domain.correlation import without_ticket_tags
from chalicelib.domain.tickets import Priority, TicketStatus
from chalicelib.errors import InvalidRequest
from chalicelib.settings import Settings

DEFAULT_LIMIT, MAX_LIMIT = 25, 100
MAX_TAGS, MAX_TAG_CHARS = 20, 40
MAX_SUBJECT_CHARS = 200

_Word = TypeVar("_Word", bound=StrEnum)


def mailbox_name(settings: Settings, mailbox: str | None) -> str:
    """A configured mailbox name (the default one when none is given)."""
    known = set(settings.mailboxes.values())
    box = (mailbox or settings.default_mailbox).strip().lower()
    if box not in known:
        raise InvalidRequest(f"unknown mailbox {box!r}; use {', '.join(sorted(known))}")
    return box


def assignee_name(agent: str, value: str) -> str:
    """ "me" is the caller `agent`, "none" is nobody (""), else a sign-in name as stored."""
    value = value.strip().lower()
    if value == "me":
        return agent
    if value == "none":
        return ""
    if not value or len(value) > 254 or any(c.isspace() or c == "#" for c in value):
        raise InvalidRequest("assignee must be an agent's sign-in name, 'me' or 'none'")
    return value


def one_of(name: str, value: str, allowed: type[_Word]) -> _Word:
    try:
        return allowed(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be one of {', '.join(allowed)}; got {value!r}") from None


def tag_set(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags trimmed, without repeats, sorted."""
    cleaned = tuple(dict.fromkeys(t.strip() for t in tags))
    if len(cleaned) > MAX_TAGS:
        raise InvalidRequest(f"at most {MAX_TAGS} tags")
    if any(not t or len(t) > MAX_TAG_CHARS for t in cleaned):
        raise InvalidRequest(f"tags must be 1 to {MAX_TAG_CHARS} characters")
    return tuple(sorted(cleaned))


def field_changes(
    status: str | None, priority: str | None, tags: Sequence[str] | None, subject: str | None
) -> dict[str, Any]:
    """The edits that need no look-up, checked."""
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = one_of("status", status, TicketStatus)
    if priority is not None:
        changes["priority"] = one_of("priority", priority, Priority)
    if tags is not None:
        changes["tags"] = tag_set(tags)
    if subject is not None:
        changes["subject"] = subject_text(subject)
    return changes


def subject_text(text: str) -> str:
    cleaned = without_ticket_tags(text)  # mail we send adds the ticket's own [T-n]
    if not 0 < len(cleaned) <= MAX_SUBJECT_CHARS:
        raise InvalidRequest(f"a subject is 1 to {MAX_SUBJECT_CHARS} characters")
    return cleaned
