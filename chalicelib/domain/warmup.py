"""The warm-up plan announcements keep to on a standard dedicated IP pool.

A new dedicated IP has no reputation; mailbox providers throttle or junk a sudden volume
from it. SES's documentation (Developer Guide, "Warming up dedicated IP addresses";
What's New, 9 March 2017, "Amazon SES can now automatically warm up your dedicated IP
addresses") describes its standard plan: the most mail an IP may send a day grows from
the first day to 50,000 within 45 days, and SES reports each IP's progress through it as
WarmupPercentage (GetDedicatedIps; 0-100, status IN_PROGRESS until DONE). SES publishes
neither the plan's daily figures nor their curve, so this plan is ours, read against
SES's percentage:

    cap per IP per day = 50 x 1000 ** (percentage / 100)

a geometric ramp from 50 mails at 0% to 50,000 at 100%: it doubles about every tenth of
the way (about every 4.5 days over SES's 45), the "start small, increase gradually" the
guide asks for. `SCHEDULE` prints it. The pool's cap for the day is the sum over its IPs;
an IP that is DONE (or NOT_APPLICABLE: a managed pool's) no longer limits the day.
"""

from __future__ import annotations

from chalicelib.domain.frozen import frozen

COLD_DAILY = 50  # mails per IP on the first day (0%)
WARM_DAILY = 50_000  # SES: an IP reaches 50,000 a day within 45 days, and should keep it


@frozen
class IpWarmup:
    ip: str
    status: str  # SES WarmupStatus: IN_PROGRESS, DONE, NOT_APPLICABLE
    percentage: int  # SES WarmupPercentage: 0-100; -1 in a managed pool

    @property
    def warming(self) -> bool:
        return self.status == "IN_PROGRESS" and self.percentage < 100


def ip_daily_cap(percentage: int) -> int:
    """The most mail one IP may send in a day at this point of its warm-up."""
    share = min(max(percentage, 0), 100) / 100
    return round(COLD_DAILY * (WARM_DAILY / COLD_DAILY) ** share)


@frozen
class WarmupPlan:
    pool: str
    ips: tuple[IpWarmup, ...]

    @property
    def daily_cap(self) -> int | None:
        """Mails the pool may send today; None: nothing warming, no cap. A pool whose IPs
        are all warm still sends at most the account's quota (the sender's other limit)."""
        if not any(ip.warming for ip in self.ips):
            return None
        return sum(ip_daily_cap(ip.percentage) if ip.warming else WARM_DAILY for ip in self.ips)

    def left_today(self, sent_today: int) -> int | None:
        cap = self.daily_cap
        return None if cap is None else max(0, cap - sent_today)

    def as_dict(self, sent_today: int) -> dict[str, object]:
        return {
            "pool": self.pool,
            "daily_cap": self.daily_cap,
            "sent_today": sent_today,
            "left_today": self.left_today(sent_today),
            "ips": [
                {
                    "ip": ip.ip,
                    "status": ip.status,
                    "percentage": ip.percentage,
                    "daily_cap": ip_daily_cap(ip.percentage) if ip.warming else None,
                }
                for ip in self.ips
            ],
        }


# (percentage, cap per IP per day), for `inbound reputation` and DEPLOY.md.
SCHEDULE = tuple((p, ip_daily_cap(p)) for p in range(0, 101, 10))
