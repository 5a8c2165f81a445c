"""Staff tokens, verified by the app itself: the same check under Lambda, `chalice local`,
`inbound up` and the test client, with no API Gateway authorizer in front.

A token is accepted when it is a Cognito access or ID token of the configured user pool
and app client: RS256 signature by a key of the pool's JWKS, issuer
`https://cognito-idp.<region>.amazonaws.com/<pool-id>`, `token_use` of `access` (then
`client_id` must be the app client) or `id` (then `aud` must be), not expired. Every
other token, `alg: none` and HMAC-signed ones included, is refused.

The JWKS comes through an injected fetcher and is cached for the container's life; an
unknown `kid` (a rotated key) triggers at most one refetch per `refetch_after` seconds.
PyJWT and `cryptography` are imported on first use, not at cold start.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any
from urllib.parse import urlparse

from chalicelib.domain.frozen import frozen
from chalicelib.errors import ConfigurationError, KeysUnavailable, Unauthorized

ACCEPTED_ALGORITHM = "RS256"
MAX_JWKS_BYTES = 64 * 1024
# moto's server routes a JWKS request to Cognito only when it carries a Cognito-scoped
# Authorization header (see moto's CognitoIdpBackend docs); real Cognito ignores it.
_MOTO_COGNITO_AUTH = (
    "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/cognito-idp/aws4_request, "
    "SignedHeaders=host, Signature=local"
)

JwksFetcher = Callable[[], Mapping[str, Any]]


@frozen
class Identity:
    """Who called: `subject` is the Cognito `sub`; `agent` the stable name tickets and notes
    carry, given by services/staff_identities.py ("" until then: never read from a claim)."""

    subject: str
    token_use: str
    claims: Mapping[str, Any] = field(default_factory=dict)
    agent: str = ""
    admin: bool = False  # an admin as the token and the staff directory both say (staff_identities.py)


def issuer_of(pool_id: str) -> str:
    region = pool_id.partition("_")[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def jwks_location(pool_id: str, endpoint_url: str | None = None, override: str = "") -> tuple[str, dict]:
    """Where the pool's JWKS is served: the override, a local moto server, or Cognito."""
    if override:
        return override, {}
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json", {
            "Authorization": _MOTO_COGNITO_AUTH
        }
    return f"{issuer_of(pool_id)}/.well-known/jwks.json", {}


def http_jwks_fetcher(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 5.0
) -> JwksFetcher:
    """A fetcher that GETs the JWKS document over HTTP(S)."""
    if urlparse(url).scheme not in ("http", "https"):
        raise ValueError(f"JWKS URL must be http(s): {url!r}")

    def fetch() -> Mapping[str, Any]:
        from urllib.request import Request, urlopen

        request = Request(url, headers={"Accept": "application/json", **(headers or {})})
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            document = json.loads(response.read(MAX_JWKS_BYTES))
        if not isinstance(document, dict):
            raise ValueError("JWKS document is not a JSON object")
        return document

    return fetch


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header (a bare token is accepted too)."""
    scheme, _, rest = authorization.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else authorization.strip()
    if not token:
        raise Unauthorized("missing bearer token")
    return token


class TokenVerifier:
    def __init__(
        self,
        pool_id: str,
        client_id: str,
        fetch_jwks: JwksFetcher,
        clock: Callable[[], float] = time.time,
        leeway: int = 30,
        refetch_after: float = 300.0,
    ) -> None:
        self.pool_id = pool_id
        self.client_id = client_id
        self.issuer = issuer_of(pool_id)
        self._fetch = fetch_jwks
        self._clock = clock
        self._leeway = leeway
        self._refetch_after = refetch_after
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def verify(self, authorization: str) -> Identity:
        """The caller's identity, or Unauthorized saying what is wrong with the token."""
        import jwt

        if not (self.pool_id and self.client_id):
            raise ConfigurationError("INBOUND_USER_POOL_ID and INBOUND_USER_POOL_CLIENT_ID must be set")
        token = bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") != ACCEPTED_ALGORITHM:
            raise Unauthorized(f"token algorithm {header.get('alg')!r} is not accepted")
        key = self._key(str(header.get("kid") or ""))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ACCEPTED_ALGORITHM],
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("token was issued by another user pool") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        return self._identity(claims)

    def _identity(self, claims: dict[str, Any]) -> Identity:
        use = claims.get("token_use")
        audience = claims.get("aud") if use == "id" else claims.get("client_id") if use == "access" else None
        if use not in ("id", "access"):
            raise Unauthorized(f"token_use {use!r} is not accepted")
        if audience != self.client_id:
            raise Unauthorized("token was issued to another app client")
        subject = str(claims.get("sub") or "")
        if not subject:
            raise Unauthorized("token names no user (empty sub)")
        return Identity(subject=subject, token_use=str(use), claims=claims)

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys and self._may_refetch():
                self._keys = self._load()
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("token is signed by a key this user pool does not publish")
        return key

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._refetch_after

    def _load(self) -> dict[str, Any]:
        from jwt import PyJWK
        from jwt.exceptions import PyJWKError

        try:
            document = self._fetch()
        except (OSError, ValueError) as exc:
            raise KeysUnavailable(f"cannot fetch the user pool's JWKS: {exc}") from exc
        self._fetched_at = self._clock()
        keys: dict[str, Any] = {}
        for jwk in document.get("keys") or ():
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
                continue
            if jwk.get("alg", ACCEPTED_ALGORITHM) != ACCEPTED_ALGORITHM:
                continue
            try:
                keys[str(jwk.get("kid", ""))] = PyJWK(jwk, ACCEPTED_ALGORITHM).key
            except PyJWKError:
                continue  # one malformed key does not void the others
        return keys
