"""The app's own token check: what it lets in, what it refuses, and how it reads keys."""

from __future__ import annotations

import pytest

from chalicelib.api.auth import TokenVerifier, bearer_token, http_jwks_fetcher, issuer_of, jwks_location
from chalicelib.errors import ConfigurationError, KeysUnavailable, Unauthorized
from tests.support.staff_auth import another_rsa_key, claims_for, moto_jwks, signed, tampered, unsigned

POOL, CLIENT = "us-east-1_Staff0001", "staffconsoleclient01"


class CountingFetcher:
    """A JWKS source that counts how often the verifier asks."""

    def __init__(self, *documents):
        self.documents = list(documents) or [moto_jwks()]
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.documents[min(self.calls, len(self.documents)) - 1]


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def verifier(fetch=None, clock=None) -> TokenVerifier:
    return TokenVerifier(POOL, CLIENT, fetch or CountingFetcher(), clock=clock or Clock())


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_an_id_token_of_the_pool_is_read_as_its_sub_and_names_nobody_by_itself():
    """The agent's name comes from services/staff_identities.py, never from a claim here."""
    identity = verifier().verify(bearer(signed(claims_for(POOL, CLIENT, email="Ann@Example.com", sub="s-1"))))
    assert (identity.subject, identity.token_use, identity.agent) == ("s-1", "id", "")


def test_an_access_token_of_the_pool_is_read_as_its_sub():
    identity = verifier().verify(
        bearer(signed(claims_for(POOL, CLIENT, "access", username="s-1", sub="s-1")))
    )
    assert (identity.subject, identity.token_use, identity.agent) == ("s-1", "access", "")


@pytest.mark.parametrize("sub", [None, ""])
def test_a_token_that_names_no_user_is_refused(sub):
    with pytest.raises(Unauthorized, match="sub"):
        verifier().verify(bearer(signed(claims_for(POOL, CLIENT, sub=sub))))


def test_a_bare_token_without_the_bearer_word_is_read_too():
    token = signed(claims_for(POOL, CLIENT))
    assert bearer_token(token) == token == bearer_token(f"bearer  {token} ")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("", "missing bearer token"),
        ("not.a.jwt", "malformed token"),
        (signed(claims_for(POOL, CLIENT, exp=1_000)), "token expired"),
        (
            signed(claims_for("us-east-1_OtherPool", CLIENT, aud=CLIENT)),
            "token was issued by another user pool",
        ),
        (signed(claims_for(POOL, "someotherclient")), "token was issued to another app client"),
        (signed(claims_for(POOL, "someotherclient", "access")), "token was issued to another app client"),
        (signed(claims_for(POOL, CLIENT, token_use="refresh")), "token_use 'refresh' is not accepted"),
        (signed(claims_for(POOL, CLIENT, token_use=None)), 'Token is missing the "token_use" claim'),
        (unsigned(claims_for(POOL, CLIENT)), "token algorithm 'none' is not accepted"),
        (signed(claims_for(POOL, CLIENT), key=another_rsa_key()), "Signature verification failed"),
        (
            tampered(signed(claims_for(POOL, CLIENT)), email="boss@example.com"),
            "Signature verification failed",
        ),
        (
            signed(claims_for(POOL, CLIENT), key=another_rsa_key(), kid="rotated-away"),
            "token is signed by a key this user pool does not publish",
        ),
    ],
    ids=[
        "missing",
        "garbage",
        "expired",
        "wrong-pool",
        "wrong-client-id-token",
        "wrong-client-access-token",
        "refresh-token",
        "no-token-use",
        "alg-none",
        "foreign-key",
        "tampered",
        "unknown-kid",
    ],
)
def test_every_other_token_is_refused_with_the_reason(token, why):
    with pytest.raises(Unauthorized, match=why):
        verifier().verify(bearer(token) if token else "")


def test_an_hmac_token_keyed_with_the_published_key_is_refused():
    """The classic algorithm confusion: HS256 "signed" with what the JWKS publishes."""
    import jwt

    published = moto_jwks()["keys"][0]["n"]
    token = jwt.encode(claims_for(POOL, CLIENT), published, algorithm="HS256", headers={"kid": "dummy"})
    with pytest.raises(Unauthorized, match="'HS256' is not accepted"):
        verifier().verify(bearer(token))


def test_the_jwks_is_fetched_once_and_reused():
    fetch = CountingFetcher()
    check = verifier(fetch)
    for _ in range(5):
        check.verify(bearer(signed(claims_for(POOL, CLIENT))))
    assert fetch.calls == 1


def test_an_unknown_key_id_refetches_at_most_once_per_interval_then_finds_a_rotated_key():
    """GIVEN Cognito rotated its key WHEN a token signed with the new key arrives THEN the
    verifier refetches the JWKS, but a flood of unknown kids cannot make it refetch each time."""
    new_key = another_rsa_key()
    from jwt.algorithms import RSAAlgorithm

    rotated = {
        "keys": [{**RSAAlgorithm.to_jwk(new_key.public_key(), as_dict=True), "kid": "new", "alg": "RS256"}]
    }
    fetch, clock = CountingFetcher(moto_jwks(), rotated), Clock()
    check = verifier(fetch, clock)
    check.verify(bearer(signed(claims_for(POOL, CLIENT))))
    token = bearer(signed(claims_for(POOL, CLIENT), key=new_key, kid="new"))
    for _ in range(3):
        with pytest.raises(Unauthorized, match="does not publish"):
            check.verify(token)
    assert fetch.calls == 1
    clock.now += 301
    assert check.verify(token).subject == claims_for(POOL, CLIENT)["sub"]
    assert fetch.calls == 2


def test_keys_that_cannot_be_fetched_are_reported_not_mistaken_for_a_bad_token():
    def down():
        raise OSError("connection refused")

    with pytest.raises(KeysUnavailable, match="connection refused"):
        verifier(down).verify(bearer(signed(claims_for(POOL, CLIENT))))


def test_without_a_configured_pool_nothing_is_accepted():
    unconfigured = TokenVerifier("", "", CountingFetcher())
    with pytest.raises(ConfigurationError):
        unconfigured.verify(bearer(signed(claims_for(POOL, CLIENT))))


def test_keys_come_from_cognito_a_local_moto_server_or_an_override():
    assert issuer_of(POOL) == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Staff0001"
    assert jwks_location(POOL)[0] == f"{issuer_of(POOL)}/.well-known/jwks.json"
    url, headers = jwks_location(POOL, "http://127.0.0.1:5000/")
    assert (
        url == f"http://127.0.0.1:5000/{POOL}/.well-known/jwks.json"
        and "cognito-idp" in headers["Authorization"]
    )
    assert jwks_location(POOL, "http://127.0.0.1:5000", "https://keys.example/jwks.json")[0] == (
        "https://keys.example/jwks.json"
    )
    with pytest.raises(ValueError, match="http"):
        http_jwks_fetcher("file:///etc/passwd")
