"""Staff administration asked about people who are not there: a 4xx that says so, never a 500.

GIVEN an admin WHEN they invite an address longer than a Cognito user name may be (128
characters: AdminCreateUser refused it with InvalidParameterException), or make admin, or
enable, an address that is not on the staff (UserNotFoundException from AdminAddUserToGroup
/ AdminEnableUser) THEN the answer is a 400 naming the address, and the staff is unchanged.
"""

from __future__ import annotations

import json

from tests.support.staff_api import ANN, Api, token_in_groups

STRANGER = "nobody@partner.test"


def _staff(api: Api, token: str) -> list[dict]:
    return api.get("/api/staff", token=token).json_body["staff"]


def _refused(response: object, what: str) -> str:
    assert response.status_code == 400, (what, response.status_code, response.body[:300])
    return json.loads(response.body)["reason"]


def test_an_address_longer_than_a_user_name_may_be_is_refused_with_a_400(api: Api) -> None:
    admin = token_in_groups(api, ANN, "admin")
    before = _staff(api, admin)
    address = "x" * 120 + "@partner.test"
    reason = _refused(api.post("/api/staff", {"email": address, "role": "agent"}, token=admin), "long")
    assert "128" in reason, reason
    assert _staff(api, admin) == before


def test_making_admin_or_enabling_someone_not_on_the_staff_is_a_400(api: Api) -> None:
    admin = token_in_groups(api, ANN, "admin")
    before = _staff(api, admin)
    for body in ({"role": "admin"}, {"enabled": True}):
        reason = _refused(api.patch(f"/api/staff/{STRANGER}", body, token=admin), str(body))
        assert STRANGER in reason and "not on the staff" in reason, reason
    assert _staff(api, admin) == before
