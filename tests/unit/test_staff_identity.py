"""Agent names: a `sub` is named once, by a verified email, and keeps that name."""

from __future__ import annotations

import pytest

from chalicelib.api.auth import TokenVerifier
from chalicelib.errors import UnknownAgent
from chalicelib.services.staff_identities import StaffIdentities
from tests.support.staff_auth import claims_for, moto_jwks, signed

POOL, CLIENT = "us-east-1_Staff0001", "staffconsoleclient01"
SUB = "0b7c4a8e-1111-4000-8000-00000000ann1"


class RecordedNames:
    """The agent-name store in memory: a name is written once (a conditional put)."""

    def __init__(self, **recorded: str) -> None:
        self.recorded = dict(recorded)

    def name_of(self, subject: str) -> str:
        return self.recorded.get(subject, "")

    def record(self, subject: str, name: str) -> str:
        return self.recorded.setdefault(subject, name)

    def enlist(self, subject: str, name: str) -> None:
        assert self.recorded[subject] == name, "only a recorded name is entered"


def staff(names: RecordedNames) -> StaffIdentities:
    return StaffIdentities(TokenVerifier(POOL, CLIENT, moto_jwks), names)


def id_token(email: str, verified: object = True, sub: str = SUB) -> str:
    return "Bearer " + signed(claims_for(POOL, CLIENT, sub=sub, email=email, email_verified=verified))


def access_token(sub: str = SUB) -> str:
    return "Bearer " + signed(claims_for(POOL, CLIENT, "access", sub=sub, username=sub))


@pytest.mark.parametrize("verified", [True, "true", "True"])
def test_the_first_id_token_with_a_verified_email_names_the_agent_as_before(verified):
    """The name is the lower-cased email, as it always was: existing tickets keep theirs."""
    names = RecordedNames()
    assert staff(names).verify(id_token("Ann@Example.com", verified)).agent == "ann@example.com"
    assert names.recorded == {SUB: "ann@example.com"}


def test_an_access_token_names_the_same_agent_as_the_id_token():
    names = RecordedNames()
    staff(names).verify(id_token("ann@example.com"))
    assert staff(names).verify(access_token()).agent == "ann@example.com"


def test_a_changed_email_never_renames_the_agent():
    names = RecordedNames(**{SUB: "ann@example.com"})
    assert staff(names).verify(id_token("boss@example.com")).agent == "ann@example.com"
    assert staff(names).verify(id_token("boss@example.com", verified=False)).agent == "ann@example.com"


@pytest.mark.parametrize("verified", [False, "false", None, "yes"])
def test_an_unverified_email_names_nobody(verified):
    names = RecordedNames()
    with pytest.raises(UnknownAgent, match="not verified"):
        staff(names).verify(id_token("ceo@example.com", verified))
    assert names.recorded == {}


def test_an_access_token_of_an_agent_never_named_is_refused_with_what_to_do():
    with pytest.raises(UnknownAgent, match="sign in once"):
        staff(RecordedNames()).verify(access_token())


def test_two_first_requests_racing_end_with_the_name_recorded_first():
    class Racing(RecordedNames):
        def record(self, subject: str, name: str) -> str:
            self.recorded.setdefault(subject, "ann@example.com")  # the other request won
            return super().record(subject, name)

    assert staff(Racing()).verify(id_token("ann.new@example.com")).agent == "ann@example.com"
