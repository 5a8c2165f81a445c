"""Links to large attachments: signed for their promised life, each naming one object."""

from __future__ import annotations

from chalicelib.domain import file_links
from chalicelib.domain.tickets import StoredAttachment
from chalicelib.services.file_links import FileLinks
from tests.fakes.desk import FakeLinks

DAY = 24 * 3600


def _file(key: str = "attachments/T-1/0/report.pdf", risky: bool = False) -> StoredAttachment:
    return StoredAttachment(
        0, "report.pdf", "report.pdf", key, "application/pdf", "application/pdf", 9, "", risky
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _links(clock: Clock, secrets: tuple[bytes, ...] = (b"s1",)) -> FileLinks:
    return FileLinks(lambda: "https://api.example.com/prod", lambda: secrets, FakeLinks(), clock, DAY)


def _token(url: str) -> str:
    prefix = "https://api.example.com/prod/files/"
    assert url.startswith(prefix)
    return url.removeprefix(prefix)


def test_a_link_redirects_to_its_object_for_its_whole_promised_life() -> None:
    clock = Clock()
    links = _links(clock)
    token = _token(links.url(_file()))
    clock.now += DAY - 1  # long after any role's temporary credentials have turned over
    assert links.redirect(token) == "https://files.invalid/attachments/T-1/0/report.pdf"
    clock.now += 1
    assert links.redirect(token) is None


def test_a_token_changed_in_any_part_grants_nothing() -> None:
    clock = Clock()
    links = _links(clock)
    token = _token(links.url(_file()))
    claim, _, mac = token.partition(".")
    other = file_links.FileClaim(
        "attachments/T-2/0/secret.pdf", "secret.pdf", "application/pdf", False, 2**40
    )
    forged_claim = file_links.sign(b"not ours", other).partition(".")[0]
    for bad in (
        f"{forged_claim}.{mac}",  # another object (and a later expiry) under our MAC
        file_links.sign(b"not ours", other),  # signed with a guessed secret
        f"{claim}.{mac[:-2]}AA",
        claim,
        "",
        "....",
        "%%%.###",
        "A" * 5000,
    ):
        assert links.redirect(bad) is None, bad


def test_a_risky_file_keeps_its_download_only_claim() -> None:
    clock = Clock()
    token = _token(_links(clock).url(_file(risky=True)))
    claim = file_links.verify(token, (b"s1",), clock())
    assert claim is not None and claim.risky and claim.key == "attachments/T-1/0/report.pdf"


def test_links_signed_before_a_secret_rotation_keep_working() -> None:
    clock = Clock()
    token = _token(_links(clock, (b"old",)).url(_file()))
    assert _links(clock, (b"new", b"old")).redirect(token) is not None
    assert _links(clock, (b"new",)).redirect(token) is None
