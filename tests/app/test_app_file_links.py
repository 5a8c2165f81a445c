"""/files/<token>: the link mail carries for a file too large to attach, on the stage's API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalicelib.domain.tickets import StoredAttachment
from chalicelib.wiring import services
from tests.support.staff_api import ssm_outage


def _file(key: str) -> StoredAttachment:
    return StoredAttachment(0, "big.pdf", "big.pdf", key, "application/pdf", "application/pdf", 9, "", False)


def test_a_links_token_answers_a_fresh_short_presigned_get_of_its_one_object(api):
    url = services().file_links.url(_file("attachments/T-1/0/big.pdf"))
    path = urlsplit(url).path
    assert path.startswith("/files/")

    answer = api.get(path, token="")  # no sign-in: the customer follows it from the mail
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path.endswith("/attachments/T-1/0/big.pdf")
    assert parse_qs(location.query)["X-Amz-Expires"] == ["300"]

    token = path.removeprefix("/files/")
    for bad in (token[:-3] + "AAA", "x" + token, "nothing"):
        refused = api.get(f"/files/{bad}", token="")
        assert refused.status_code == 404
        assert "Location" not in refused.headers


def test_a_link_followed_while_ssm_is_out_says_try_again_and_works_once_it_answers(api):
    """The token is checked under the reply secrets (SSM). Throttled or out, in a container that
    has not read them: a 503 with Retry-After saying to try again, not a 500, and no redirect."""
    path = urlsplit(services().file_links.url(_file("attachments/T-1/0/big.pdf"))).path
    ssm_outage()

    answer = api.get(path, token="")

    assert answer.status_code == 503 and "Location" not in answer.headers
    assert int(answer.headers["Retry-After"]) > 0 and b"try again" in answer.body
    ssm_outage().fail_from = None  # a container started afresh, SSM answering
    assert api.get(path, token="").status_code == 302
