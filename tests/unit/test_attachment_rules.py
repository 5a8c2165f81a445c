"""Safe names, sniffing and risk flags."""

from dataclasses import replace

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


@pytest.mark.parametrize(
    "name",
    [
        "run.js.",
        "run.js . .",
        "run.js   ",
        "run.js\u00a0",
        "run.js\t",
        "run.j\u200bs",
        "run.j\u00ads",
        "run.js\ufeff",
        "run.\uff4a\uff53",
        "run\uff0ejs",
        "run.js." + "x" * 130,
    ],
)
def test_a_name_is_judged_as_it_is_saved(name):
    """Windows and safe_name drop trailing dots and spaces, format characters go, NFKC folds
    fullwidth letters, an overlong last extension is dropped: each of these saves as run.js."""
    assert safe_name(name) == "run.js"
    assert is_risky(name, "text/plain", "text/plain")


@pytest.mark.parametrize(
    "extension",
    "chm one vhd vhdx url xll iso img lnk hta msc appx appxbundle msix settingcontent-ms library-ms cpl scf "
    "jse vbe wsf wsh ps1 psm1 reg jar docm xlsm pptm ade adp bat cab cmd com dll dmg exe jnlp lib mde msi "
    "msp mst pif scr sct shb sys vb vbs vxd wsc diagcab gadget appref-ms iqy slk".split(),
)
def test_what_gmail_and_outlook_block_is_risky(extension):
    assert is_risky(f"invoice.{extension}", "application/octet-stream", "application/octet-stream")
    assert is_risky(f"INVOICE.{extension.upper()}", "application/octet-stream", "application/octet-stream")


def test_a_file_stored_before_the_saved_name_rule_gets_its_badge_when_read():
    """Items written before this rule say risky=False for `run.js.`; reading judges again."""
    from chalicelib.adapters.dynamodb_items import message_from_item, message_item
    from chalicelib.domain.tickets import StoredAttachment, StoredMessage

    old = StoredAttachment(
        1, "run.js.", "run.js", "attachments/T-1/m/1-run.js", "text/plain", "text/plain", 9, "", False
    )
    message = StoredMessage("T-1", "m", "inbound", "customer", "a@b.c", "", (), (), "s", "", "", "new")
    stored = message_item(replace(message, attachments=(old,)))
    [read] = message_from_item(stored).attachments
    assert read.risky
