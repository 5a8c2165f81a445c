"""Every message of the shared corpus through `read_mail`: nothing raises, no file is lost."""

from __future__ import annotations

import email
from collections import Counter
from email.message import Message
from pathlib import Path

import pytest

from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import ParsedMail
from tests.support.corpus import mail_files, relative, require_corpus

pytestmark = pytest.mark.corpus
require_corpus()  # skips this module, saying where it looked, when the corpus is absent

MESSAGES = mail_files()


def _as_read(raw: bytes) -> bytes:
    """read_mail reads old-Mac CR-only files with LF endings; compare like with like."""
    return raw.replace(b"\r", b"\n") if b"\r" in raw and b"\n" not in raw else raw


def _named_payloads(message: Message) -> list[tuple[str, bytes]]:
    """What the stdlib itself decodes for every named leaf part."""
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_filename() is None:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):  # None when the stdlib cannot decode it
            found.append((str(part.get_filename()), payload))
    return found


def _assert_valid_text(parsed: ParsedMail) -> None:
    texts = [parsed.subject, parsed.text, parsed.html, *map(str, parsed.defects)]
    texts += [value for pair in parsed.headers for value in pair]
    texts += [a.filename for a in parsed.attachments]
    for text in texts:
        text.encode("utf-8")  # a lone surrogate would break every JSON and UTF-8 sink


def test_the_corpus_has_the_messages_the_manifest_promises():
    # GIVEN the corpus  WHEN listed  THEN about 1,900 messages, mbox files included
    assert len(MESSAGES) > 1800
    assert any(relative(p) == "bounces/sisimai-set-of-emails/mbox/mbox-0" for p in MESSAGES)
    assert not any(p.name in ("INDEX.tsv", "MANIFEST.md") for p in MESSAGES)


@pytest.mark.parametrize("path", MESSAGES, ids=relative)
def test_every_named_part_comes_back_byte_exact(path: Path):
    # GIVEN a message from the corpus
    raw = path.read_bytes()

    # WHEN it is read
    parsed = read_mail(raw)

    # THEN nothing raised, the text is valid Unicode, and every part the stdlib
    # finds a file name on is among the attachments with exactly its bytes
    assert parsed.raw_size == len(raw)
    _assert_valid_text(parsed)
    available = Counter(a.payload for a in parsed.attachments)
    missing = []
    for name, payload in _named_payloads(email.message_from_bytes(_as_read(raw))):
        if available[payload] > 0:
            available[payload] -= 1
        else:
            missing.append(f"{name} ({len(payload)} bytes)")
    assert not missing, f"attachments lost: {missing}"


MAC_FILES = mail_files("bounces/sisimai-set-of-emails/mac")


@pytest.mark.parametrize("path", MAC_FILES, ids=relative)
def test_old_mac_line_endings_read_like_their_crlf_twin(path: Path):
    # GIVEN a bounce saved with lone CR line endings and its CRLF twin
    twin = path.parent.parent / "dos" / path.name
    if not twin.is_file():
        pytest.skip(f"no CRLF twin for {relative(path)}")

    # WHEN both are read
    mac, dos = read_mail(path.read_bytes()), read_mail(twin.read_bytes())

    # THEN staff see the same sender, subject, thread ids, structure and files
    assert (mac.subject, mac.from_, mac.message_id, mac.references) == (
        dos.subject,
        dos.from_,
        dos.message_id,
        dos.references,
    )
    assert mac.part_types == dos.part_types
    assert [a.filename for a in mac.attachments] == [a.filename for a in dos.attachments]
    assert mac.text.split() == dos.text.split()
