"""Configuration-set event destinations besides the feedback topic (SNS, provision/ses.py).

- CloudWatch, on the transactional and the announcements' set alike: SES's dashboards and
  alarms by configuration set and mailbox (ses_documents.cloudwatch_destination).

Each is read, compared and written only when it differs, through the v2 API (the
DELIVERY_DELAY event type exists only there; inbound/local/moto_sesv2.py emulates it).
Deleting a configuration set deletes its destinations with it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.provision.context import Context, error_code
from inbound.stage.ses_documents import (
    announcement_configuration_set,
    cloudwatch_destination,
    cloudwatch_destination_name,
)

_KINDS = ("SnsDestination", "CloudWatchDestination", "KinesisFirehoseDestination")


def _normal(dest: dict[str, Any]) -> tuple[Any, ...]:
    """What provision owns of a destination, in an order-free form."""

    def canonical(value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted((k, canonical(v)) for k, v in value.items()))
        if isinstance(value, list):
            return tuple(sorted((canonical(v) for v in value), key=repr))
        return value

    return (
        bool(dest.get("Enabled")),
        sorted(dest.get("MatchingEventTypes") or []),
        tuple(canonical(dest.get(kind)) for kind in _KINDS),
    )


def ensure_event_destination(ctx: Context, set_name: str, name: str, wanted: dict[str, Any]) -> None:
    sesv2 = ctx.client("sesv2")
    described = sesv2.get_configuration_set_event_destinations(ConfigurationSetName=set_name)
    found = [d for d in described.get("EventDestinations") or [] if d.get("Name") == name]
    entry = f"{set_name}/{name}"
    args = {"ConfigurationSetName": set_name, "EventDestinationName": name, "EventDestination": wanted}
    if not found:
        try:
            sesv2.create_configuration_set_event_destination(**args)
        except ClientError as exc:
            if error_code(exc) != "AlreadyExistsException":
                raise
            ctx.report.add("ses-event-destination", entry, "unchanged", "created by a concurrent run")
            return
        ctx.report.record("ses-event-destination", entry, created=True, changes=[])
        return
    changes = [] if _normal(found[0]) == _normal(wanted) else ["event types/destination"]
    if changes:
        sesv2.update_configuration_set_event_destination(**args)
    ctx.report.record("ses-event-destination", entry, created=False, changes=changes)


def ensure_cloudwatch_destinations(ctx: Context) -> None:
    for set_name in (ctx.names.configuration_set, announcement_configuration_set(ctx.names)):
        ensure_event_destination(
            ctx, set_name, cloudwatch_destination_name(ctx.names), cloudwatch_destination(ctx.names, set_name)
        )
