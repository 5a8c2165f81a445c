"""Signing staff in with Cognito (USER_PASSWORD_AUTH) and keeping the tokens.

Tokens are cached in `<data-dir>/token.json` (mode 0600) with what is needed to refresh
them. Against the local stack (`inbound up` writes `credentials.json` and, while it
runs, `stack.json` into its data dir) the first agent is signed in automatically.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TOKEN_FILE = "token.json"
EXPIRY_MARGIN = 60  # seconds: refresh a little before Cognito's expiry


class LoginRequired(Exception):
    """No usable token and no way to get one without the person."""


@dataclass
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str
    expires_at: float
    client_id: str
    region: str
    endpoint_url: str | None
    email: str
    url: str = ""

    def fresh(self, now: float) -> bool:
        return bool(self.id_token) and now < self.expires_at - EXPIRY_MARGIN


def local_stack(data_dir: Path) -> dict[str, Any]:
    """What `inbound up` left in its data dir: sign-in and endpoints, merged; {} if none."""
    found: dict[str, Any] = {}
    for name in ("stack.json", "credentials.json"):
        try:
            found.update(json.loads((data_dir / name).read_text()))
        except (OSError, ValueError):
            continue
    if found.get("username") and not found.get("email"):
        found["email"] = found["username"]
    return found


def load_tokens(data_dir: Path) -> Tokens | None:
    try:
        return Tokens(**json.loads((data_dir / TOKEN_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def save_tokens(data_dir: Path, tokens: Tokens) -> Path:
    """Written owner-only from the first byte, then moved into place."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path, temporary = data_dir / TOKEN_FILE, data_dir / f".{TOKEN_FILE}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(tokens), handle, indent=2)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path


def _cognito(region: str, endpoint_url: str | None) -> Any:
    from chalicelib.wiring.clients import new_session
    from inbound.cli.target import local_session

    # Sign-in is unsigned; a local stack's session must not trip over the shell's AWS_PROFILE.
    session = local_session(region) if endpoint_url else new_session()
    return session.client("cognito-idp", region_name=region, endpoint_url=endpoint_url)


def _tokens(result: dict[str, Any], previous: Tokens) -> Tokens:
    return Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken") or previous.refresh_token,
        expires_at=time.time() + int(result.get("ExpiresIn", 3600)),
        client_id=previous.client_id,
        region=previous.region,
        endpoint_url=previous.endpoint_url,
        email=previous.email,
        url=previous.url,
    )


def sign_in(
    email: str,
    password: str,
    client_id: str,
    region: str,
    endpoint_url: str | None = None,
    url: str = "",
    ask_code: Callable[[], str] | None = None,
) -> Tokens:
    """USER_PASSWORD_AUTH, answering a TOTP challenge with `ask_code` when MFA is on."""
    from botocore.exceptions import ClientError

    from chalicelib.adapters.aws_errors import error_code

    cognito = _cognito(region, endpoint_url)
    blank = Tokens("", "", "", 0, client_id, region, endpoint_url, email.lower(), url)
    try:
        answer = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        if answer.get("ChallengeName") == "SOFTWARE_TOKEN_MFA" and ask_code is not None:
            answer = cognito.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=answer["Session"],
                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": ask_code()},
            )
    except ClientError as exc:
        code = error_code(exc)
        raise LoginRequired(
            f"sign-in refused ({code}): {exc.response.get('Error', {}).get('Message', '')}"
        ) from exc
    if "AuthenticationResult" not in answer:
        raise LoginRequired(
            f"sign-in needs {answer.get('ChallengeName')}; finish it in the staff console first"
        )
    return _tokens(answer["AuthenticationResult"], blank)


def refreshed(tokens: Tokens) -> Tokens | None:
    """New ID and access tokens from the refresh token; None when it no longer works."""
    from botocore.exceptions import ClientError

    if not tokens.refresh_token:
        return None
    try:
        answer = _cognito(tokens.region, tokens.endpoint_url).initiate_auth(
            ClientId=tokens.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens.refresh_token},
        )
    except ClientError:
        return None  # revoked, expired, or the user was disabled: sign in again
    return _tokens(answer["AuthenticationResult"], tokens) if "AuthenticationResult" in answer else None


class TokenSource:
    """The ID token to send (it names the agent by email), kept fresh.

    Order: the cached token; a refresh; the local stack's agent; else LoginRequired.
    `local` is the running `inbound up`'s stack.json when `url` is its API: a token from
    an earlier run of it is dropped, as that run's Cognito (and its port) is gone.
    """

    def __init__(
        self,
        data_dir: Path,
        url: str,
        clock: Callable[[], float] = time.time,
        local: dict[str, Any] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.url = url
        self.local = local or {}
        self._clock = clock

    def __call__(self, refresh: bool = False) -> str:
        tokens = load_tokens(self.data_dir)
        if tokens and tokens.url not in ("", self.url):
            tokens = None  # signed in to another deployment
        if tokens and self.local and not self._this_run(tokens):
            tokens = None
        if tokens and tokens.fresh(self._clock()) and not refresh:
            return tokens.id_token
        renewed = refreshed(tokens) if tokens else None
        if renewed is None:
            renewed = self._local_agent(expired=tokens is not None)
        save_tokens(self.data_dir, renewed)
        return renewed.id_token

    def _this_run(self, tokens: Tokens) -> bool:
        return (tokens.endpoint_url or None, tokens.client_id) == (
            self.local.get("endpoint_url") or None,
            self.local.get("user_pool_client_id"),
        )

    def _local_agent(self, expired: bool) -> Tokens:
        local = {**local_stack(self.data_dir), **self.local}
        if not self.local or not all(local.get(k) for k in ("email", "password", "user_pool_client_id")):
            state = "your sign-in has expired" if expired else "not signed in"
            raise LoginRequired(f"{state} at {self.url}: run `inbound login`")
        return sign_in(
            local["email"],
            local["password"],
            local["user_pool_client_id"],
            local.get("region") or "us-east-1",
            local.get("endpoint_url") or None,
            self.url,
        )
