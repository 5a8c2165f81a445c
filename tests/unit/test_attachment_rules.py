"""Safe names, sniffing and risk flags."""

import pytest

from chalicelib.domain.attachment_rules import MAX_NAME_BYTES, is_risky, safe_name, sniff


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "/abs/path.txt",
        "a\x00b\x1f.txt",
        "name\r\nX-Evil: 1.pdf",
        "\u202eexe.pdf",
        "...",
        "",
        "C:\\Users\\x\\report.pdf",
        "ｆｕｌｌ／ｗｉｄｔｈ.pdf",
    ],
)
def test_safe_names_have_no_separators_controls_or_traversal(name):
    safe = safe_name(name)
    assert safe and "/" not in safe and "\\" not in safe and ".." not in safe
    assert all(ord(c) >= 32 and c != "\x7f" for c in safe)
    assert not safe.startswith(".")


def test_safe_name_keeps_an_ordinary_name():
    assert safe_name("Rechnung März 2024.pdf") == "Rechnung März 2024.pdf"


def test_long_names_are_bounded_and_keep_their_extension():
    safe = safe_name("x" * 500 + ".pdf")
    assert len(safe.encode()) <= MAX_NAME_BYTES and safe.endswith(".pdf")


def test_sniffing_sees_through_a_declared_type():
    assert sniff(b"%PDF-1.7 ...", "image/png") == "application/pdf"
    assert sniff(b"MZ\x90\x00", "application/pdf") == "application/x-msdownload"
    assert sniff(b"  <svg xmlns='http://www.w3.org/2000/svg'>", "image/png") == "image/svg+xml"
    assert sniff(b"<!DOCTYPE html><html>", "text/plain") == "text/html"
    assert sniff(b"plain words", "text/plain") == "text/plain"


def test_html_svg_scripts_and_executables_are_risky():
    assert is_risky("a.svg", "image/svg+xml", "image/svg+xml")
    assert is_risky("invoice.pdf", "application/pdf", "application/x-msdownload")
    assert is_risky("run.js", "text/plain", "text/plain")
    assert is_risky("page.htm", "application/octet-stream", "application/octet-stream")
    assert not is_risky("photo.jpg", "image/jpeg", "image/jpeg")
