"""In-memory agents' alert choices (ports.AlertPreferences), held to the DynamoDB adapter by
tests/contracts/test_alert_preferences_contract.py."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeAlertPreferences:
    reply_mail: dict[str, bool] = field(default_factory=dict)

    def wants_reply_mail(self, agent: str) -> bool:
        return self.reply_mail.get(agent, False)

    def set_reply_mail(self, agent: str, on: bool) -> None:
        self.reply_mail[agent] = on
