"""Agent names: a `sub` is named once, by a verified email, and keeps that name."""

from __future__ import annotations

import pytest

from chalicelib.api.auth import TokenVerifier
from chalicelib.errors import AgentDisabled, Forbidden, UnknownAgent
from chalicelib.services.ports.records import AgentStanding
from chalicelib.services.staff_identities import ENABLED_FOR, StaffIdentities
from tests.support.staff_auth import claims_for, moto_jwks, signed

POOL, CLIENT = "us-east-1_Staff0001", "staffconsoleclient01"
SUB = "0b7c4a8e-1111-4000-8000-00000000ann1"


class RecordedNames:
    """The agent-name store in memory: a name is written once (a conditional put)."""

    def __init__(self, **recorded: str) -> None:
        self.recorded = dict(recorded)
        self.disabled: set[str] = set()
        self.roles: dict[str, str] = {}  # the role an admin recorded in the directory
        self.directory_reads = 0

    def name_of(self, subject: str) -> str:
        return self.recorded.get(subject, "")

    def record(self, subject: str, name: str) -> str:
        return self.recorded.setdefault(subject, name)

    def enlist(self, subject: str, name: str) -> None:
        assert self.recorded[subject] == name, "only a recorded name is entered"

    def standing(self, name: str) -> AgentStanding:
        self.directory_reads += 1
        enabled = name in self.recorded.values() and name not in self.disabled
        return AgentStanding(enabled, self.roles.get(name, ""))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def staff(names: RecordedNames, clock: Clock | None = None) -> StaffIdentities:
    return StaffIdentities(TokenVerifier(POOL, CLIENT, moto_jwks), names, clock or Clock())


def id_token(email: str, verified: object = True, sub: str = SUB, groups: list[str] | None = None) -> str:
    claims = claims_for(POOL, CLIENT, sub=sub, email=email, email_verified=verified)
    return "Bearer " + signed({**claims, "cognito:groups": groups} if groups else claims)


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


def test_a_disabled_agents_valid_token_is_refused_once_the_containers_check_is_30_seconds_old():
    """Cognito cannot revoke an ID token: the directory's `disabled` mark, read at most every
    ENABLED_FOR seconds per container, ends the agent's API access within that bound."""
    names, clock = RecordedNames(**{SUB: "ann@example.com"}), Clock()
    identities = staff(names, clock)
    token = id_token("ann@example.com")
    assert identities.verify(token).agent == "ann@example.com"
    assert identities.verify(token).agent == "ann@example.com"
    assert names.directory_reads == 1, "one directory read per agent and bound, not per request"

    names.disabled.add("ann@example.com")  # an admin disables or removes her
    clock.now += ENABLED_FOR
    with pytest.raises(AgentDisabled, match="no longer enabled"):
        identities.verify(token)
    with pytest.raises(AgentDisabled):
        identities.verify(access_token())


def test_a_demoted_admins_token_stops_making_them_admin_and_their_changes_are_refused_at_once():
    """Cognito writes `cognito:groups` into a token when it is issued: an admin made agent
    kept admin rights until it expired (up to 60 minutes). Requests now ask the directory
    (cached up to ENABLED_FOR seconds); an admin's change asks it afresh, at once."""
    names, clock = RecordedNames(**{SUB: "ann@example.com"}), Clock()
    identities = staff(names, clock)
    token = id_token("ann@example.com", groups=["admin"])
    assert identities.verify(token).admin is True
    identities.confirm_admin("ann@example.com")
    assert identities.verify(id_token("ann@example.com", groups=["agent"])).admin is False

    names.roles["ann@example.com"] = "agent"  # another admin makes her agent
    with pytest.raises(Forbidden, match="no longer an admin"):
        identities.confirm_admin("ann@example.com")
    clock.now += ENABLED_FOR
    assert identities.verify(token).admin is False
    names.roles["ann@example.com"] = "admin"  # made admin again: the token still has to say so
    clock.now += ENABLED_FOR
    assert identities.verify(token).admin is True
    assert identities.verify(id_token("ann@example.com")).admin is False


def test_a_disabled_admins_change_is_refused_before_the_containers_check_is_stale():
    names = RecordedNames(**{SUB: "ann@example.com"})
    identities = staff(names)
    assert identities.verify(id_token("ann@example.com", groups=["admin"])).admin is True
    names.disabled.add("ann@example.com")
    with pytest.raises(AgentDisabled):
        identities.confirm_admin("ann@example.com")
