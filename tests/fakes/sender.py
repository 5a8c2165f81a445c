"""In memory: SES sending (SendRawEmail) and what the account says of an address.

Like SES, it refuses mail from an identity that is not verified (SendRefused, as the
adapter translates MessageRejected), and keeps what it took: `sent`. `failures` are raised
by the next sends in turn, as SES not taking the mail (throttled, unreachable) would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.refusals import RefusalReason
from chalicelib.errors import SendRefused

SIMULATOR_DOMAIN = "simulator.amazonses.com"


@dataclass(frozen=True)
class SentMail:
    raw: bytes
    source: str
    destinations: tuple[str, ...]
    ses_message_id: str


@dataclass
class FakeSender:
    verified: set[str] = field(default_factory=set)  # addresses and domains
    account_list: dict[str, str] = field(default_factory=dict)  # address -> SES's reason
    production: bool | None = True
    failures: list[BaseException] = field(default_factory=list)
    sent: list[SentMail] = field(default_factory=list)

    def send_raw(self, raw: bytes, source: str, destinations: list[str]) -> str:
        if self.failures:
            raise self.failures.pop(0)
        if not self.is_verified(source):
            raise SendRefused(
                f"SES refused the message (MessageRejected): {source} is not verified",
                RefusalReason.SES_REJECTED,
            )
        ses_id = f"fake-{len(self.sent) + 1:06d}"
        self.sent.append(SentMail(raw, source, tuple(destinations), ses_id))
        return ses_id

    def account_suppressed(self, address: str) -> tuple[bool | None, str]:
        reason = self.account_list.get(address.lower())
        return (True, reason) if reason is not None else (False, "")

    def production_access(self) -> bool | None:
        return self.production

    def is_verified(self, address: str) -> bool:
        domain = address.rpartition("@")[2]
        return domain == SIMULATOR_DOMAIN or address in self.verified or domain in self.verified

    def recipients(self) -> list[str]:
        """Everyone mail was sent to, in order."""
        return [d for mail in self.sent for d in mail.destinations]
