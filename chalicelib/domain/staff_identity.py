"""Who an agent is: the Cognito user's `sub`, named once and never renamed by a claim.

An ID token's `email` is an attribute the agent can edit with their own access token
(Cognito's UpdateUserAttributes; it reads `email_verified: false` until the code sent to
the new address is entered), and an access token carries no email at all, only `sub` and
`username` (a UUID in a pool that signs in by email). So the name that tickets, notes and
events carry is not read from each token: the first ID token of a `sub` whose email is
verified gives that `sub` its name, recorded once, and every later token of that `sub`,
ID or access, is named by the record, whatever its email says by then.

Migration: an agent used to be named by the lower-cased email of their ID token, so the
first ID token after this change records exactly the name their tickets already carry.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any


def verified_email(claims: Mapping[str, Any]) -> str:
    """The token's email, lower-cased, when Cognito says it is verified; "" otherwise."""
    # Cognito writes a JSON boolean into ID tokens; moto copies the attribute's string "true".
    verified = claims.get("email_verified")
    if verified is True or (isinstance(verified, str) and verified.strip().lower() == "true"):
        return str(claims.get("email") or "").strip().lower()
    return ""


def first_name(token_use: str, claims: Mapping[str, Any]) -> tuple[str, str]:
    """(the name a `sub` with no recorded name gets, "") or ("", why it gets none)."""
    if token_use != "id":
        return "", (
            "this agent has no name yet: sign in once with the console or `inbound tickets` "
            "(an ID token with a verified email names the agent)"
        )
    name = verified_email(claims)
    if not name:
        return "", "the token's email is not verified; verify it, or ask an administrator to"
    return name, ""


def one_time_password(length: int = 20) -> str:
    """Random, with every character class Cognito's strong policy asks for."""
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%+-=?@^_")
    chars = [secrets.choice(group) for group in classes]
    chars += [secrets.choice("".join(classes)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


# Staff roles, as Cognito groups: a token's `cognito:groups` claim names the caller's.
ADMIN, AGENT = "admin", "agent"
ROLES = (ADMIN, AGENT)


def is_admin(claims: Mapping[str, Any]) -> bool:
    """Whether the token's user is in the admin group (the claim is absent with no group)."""
    groups = claims.get("cognito:groups") or ()
    return isinstance(groups, (list, tuple)) and ADMIN in groups


def acts_as_admin(token_admin: bool, recorded_role: str) -> bool:
    """Whether a caller acts as admin: their token says so (Cognito's groups when it was
    issued, up to an hour ago) and the staff directory has not recorded them agent since.
    Both must agree, so a demotion made outside inbound (Cognito's own console) still takes
    effect with the next token, and one made through inbound at once."""
    return token_admin and recorded_role != AGENT


def last_admin_refusal(members: list[dict], email: str, what: str) -> str:
    """Why `what` ("disable", "remove", "make agent") may not be done to `email`: they are
    the last enabled admin, and nobody could administer staff after; "" when it may. The
    console's Staff screen and `inbound staff` ask the same question of the same pool."""
    target = next((m for m in members if m["email"] == email), None)
    if target is None or target["role"] != ADMIN:
        return ""
    if any(m["role"] == ADMIN and m["enabled"] and m["email"] != email for m in members):
        return ""
    return f"{email} is the last admin: make someone else admin before you {what} them"
