"""Staff tokens for tests: real ones from moto's Cognito, and forged ones to be refused.

moto signs every Cognito token with one fixed RSA key (kid "dummy") whose public half
it publishes as the pool's JWKS (`moto/cognitoidp/resources/jwks-public.json`); its
issuer is `https://cognito-idp.<region>.amazonaws.com/<pool-id>`, as in AWS.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.exceptions import ClientError

PASSWORD = "Correct-Horse-9-Battery"


def moto_jwks() -> dict[str, Any]:
    from moto.utilities.utils import load_resource

    return load_resource("cognitoidp/resources/jwks-public.json")


def _moto_private_key() -> Any:
    from jwt import PyJWK
    from moto.utilities.utils import load_resource

    return PyJWK(load_resource("cognitoidp/resources/jwks-private.json"), "RS256").key


def claims_for(pool_id: str, client_id: str, token_use: str = "id", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    region = pool_id.partition("_")[0]
    claims: dict[str, Any] = {
        "iss": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        "sub": "7d8e1f2a-0000-4000-8000-000000000001",
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
    }
    if token_use == "id":
        claims.update({"aud": client_id, "email": "agent@example.com"})
    else:
        claims.update({"client_id": client_id, "username": "agent"})
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def signed(claims: dict[str, Any], key: Any = None, kid: str = "dummy", alg: str = "RS256") -> str:
    """A token signed as moto's Cognito signs (or with `key`, another key)."""
    import jwt

    return jwt.encode(
        claims, key if key is not None else _moto_private_key(), algorithm=alg, headers={"kid": kid}
    )


def another_rsa_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def unsigned(claims: dict[str, Any]) -> str:
    """`alg: none`: a token anyone can write."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'dummy'})}.{part(claims)}."


def tampered(token: str, **changes: Any) -> str:
    """The same signature over a payload someone edited."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{edited}.{signature}"


def sign_in(cognito: Any, pool_id: str, client_id: str, email: str) -> dict[str, str]:
    """A staff account in the pool (made once) and its tokens: {"id", "access", "refresh"}."""
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UsernameExistsException":
            raise
    # moto's Cognito outlives the stack a test empties: an account an earlier test disabled
    # (the disabled-agent tests) would refuse this sign-in, in whichever order tests run.
    cognito.admin_enable_user(UserPoolId=pool_id, Username=email)
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"], "refresh": result["RefreshToken"]}


@contextlib.contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """The JWKS over loopback HTTP, as Cognito serves it; yields (url, paths requested)."""
    requested: list[str] = []
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", requested
    finally:
        server.shutdown()
        server.server_close()
