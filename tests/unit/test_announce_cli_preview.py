"""`inbound announce create --dry-run` prints the first recipient's mail as a terminal shows text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from inbound.cli.announce import _preview


@dataclass
class Announcement:
    audience: str = "requesters of tickets: status closed"


@dataclass
class Draft:
    sample: bytes
    recipients: list[str] = field(default_factory=lambda: ["you@customer.org"])
    unauthenticated: int = 0
    invalid: list[str] = field(default_factory=list)
    announcement: Announcement = field(default_factory=Announcement)

    def as_dict(self) -> dict[str, object]:
        return {"audience_count": len(self.recipients)}


def _sample() -> bytes:
    mail = EmailMessage(policy=policy.SMTP)  # as sent: CRLF line ends
    mail["To"] = "you@customer.org"
    mail["Subject"] = "Login outage"
    mail.set_content("Hi you, login is down.\n\n-- \nYou receive this because you wrote to us.\n")
    return mail.as_bytes()


def test_the_dry_run_prints_the_mail_text_without_carriage_returns(capsys):
    _preview(Draft(_sample()), as_json=False)

    printed = capsys.readouterr().out
    assert "Hi you, login is down.\n\n-- \nYou receive this" in printed
    assert "\ufffd" not in printed and "\r" not in printed


def test_the_json_dry_run_gives_the_text_with_line_feeds(capsys):
    _preview(Draft(_sample()), as_json=True)

    sample = json.loads(capsys.readouterr().out)["sample"]
    assert sample["text"].startswith("Hi you, login is down.\n\n-- \n") and "\r" not in sample["text"]
