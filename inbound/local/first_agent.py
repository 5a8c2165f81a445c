"""The local stack's first staff account, kept in the data dir's credentials.json and made
again in moto's Cognito on every start (the local state keeps no Cognito users)."""

from __future__ import annotations

import json
import os
import secrets
import string
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code

_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-_.!#%+=")


def _strong_password(length: int = 24) -> str:
    """Random, with every character class the pool's policy asks for."""
    chars = [secrets.choice(group) for group in _CLASSES]
    chars += [secrets.choice("".join(_CLASSES)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def ensure_agent(cognito: Any, pool_id: str, data_dir: Path, domain: str) -> tuple[dict[str, str], bool]:
    """The first staff account: made once and kept in credentials.json (0600), then created
    again from that file on every start (moto keeps no users). Returns it and whether it is new."""
    path = data_dir / "credentials.json"
    new = not path.exists()
    if new:
        creds = {"username": f"agent@{domain}", "password": _strong_password()}
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(creds, handle, indent=2)
    creds = json.loads(path.read_text())
    os.chmod(path, 0o600)
    email = [{"Name": "email", "Value": creds["username"]}, {"Name": "email_verified", "Value": "true"}]
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id, Username=creds["username"], UserAttributes=email, MessageAction="SUPPRESS"
        )
    except ClientError as exc:
        if error_code(exc) != "UsernameExistsException":
            raise
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=creds["username"], Password=creds["password"], Permanent=True
    )
    return creds, new
