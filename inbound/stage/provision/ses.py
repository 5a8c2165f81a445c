"""SES: domain identity, Easy DKIM, MAIL FROM, configuration set, DNS (receipt rules:
receiving.py).

The v1 `ses` API, except for the configuration set's event destination: SES's
DELIVERY_DELAY event type exists only in the v2 API (`sesv2`; v1 answers
ValidationError), so the destination is created, read and updated there
(inbound/local/moto_sesv2.py adds those calls to moto, which has them in v1 only).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.provision.context import UNSUPPORTED_SIGNALS, Context, ProvisionError, error_code
from inbound.stage.provision.deleting import SES_CONFIGURATION_SET_GONE, delete_resource
from inbound.stage.provision.feedback_forwarding import restore_feedback_forwarding
from inbound.stage.provision.receiving import delete_receiving
from inbound.stage.provision.report import (
    CHANGED,
    CREATED,
    UNCHANGED,
    UNSUPPORTED,
    DnsRecord,
)
from inbound.stage.ses_documents import event_types

MAIL_FROM_BEHAVIOR = "UseDefaultValue"
_DESTINATION_RACES = frozenset({"InvalidSNSDestination", "InvalidSnsTopic"})


def ensure_identity(ctx: Context, mail_from_domain: str) -> list[str]:
    """Domain identity, Easy DKIM and custom MAIL FROM; returns the three DKIM tokens."""
    ses, domain = ctx.client("ses"), ctx.names.domain
    verification = ses.get_identity_verification_attributes(Identities=[domain])
    status = verification["VerificationAttributes"].get(domain, {}).get("VerificationStatus")
    new_identity = status is None
    if new_identity or status == "Failed":
        ses.verify_domain_identity(Domain=domain)  # also restarts an expired verification
        detail = "verifies once the DKIM CNAMEs resolve" if new_identity else "verification restarted"
        ctx.report.add("ses-domain-identity", domain, CREATED if new_identity else CHANGED, detail)
    else:
        ctx.report.add("ses-domain-identity", domain, UNCHANGED, f"verification {status}")

    dkim = ses.get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"].get(domain, {})
    tokens = list(dkim.get("DkimTokens") or [])
    # moto hands out DKIM tokens for any verified domain; AWS only after VerifyDomainDkim.
    if not tokens or new_identity:
        tokens = list(ses.verify_domain_dkim(Domain=domain)["DkimTokens"])
        ctx.report.record("ses-dkim", domain, created=True, changes=[])
    elif dkim.get("DkimEnabled") is False:
        _enable_dkim_signing(ctx, domain)
    else:
        ctx.report.add("ses-dkim", domain, UNCHANGED, f"DKIM {dkim.get('DkimVerificationStatus')}")

    attrs = ses.get_identity_mail_from_domain_attributes(Identities=[domain])
    current = attrs["MailFromDomainAttributes"].get(domain, {})
    if (current.get("MailFromDomain"), current.get("BehaviorOnMXFailure")) == (
        mail_from_domain,
        MAIL_FROM_BEHAVIOR,
    ):
        ctx.report.add("ses-mail-from", mail_from_domain, UNCHANGED)
    else:
        ses.set_identity_mail_from_domain(
            Identity=domain, MailFromDomain=mail_from_domain, BehaviorOnMXFailure=MAIL_FROM_BEHAVIOR
        )
        had = current.get("MailFromDomain")
        changes = [f"MAIL FROM {had} -> {mail_from_domain}"] if had else []
        ctx.report.record("ses-mail-from", mail_from_domain, created=not had, changes=changes)
    return tokens


def _enable_dkim_signing(ctx: Context, domain: str) -> None:
    """Someone turned DKIM signing off: without it outbound mail fails DMARC."""
    try:
        ctx.client("ses").set_identity_dkim_enabled(Identity=domain, DkimEnabled=True)
    except UNSUPPORTED_SIGNALS as exc:
        if not ctx.is_unsupported(exc):
            raise
        # moto gap: no SetIdentityDkimEnabled (moto also always reports DKIM enabled).
        ctx.report.add("ses-dkim", domain, UNSUPPORTED, "signing off; emulator lacks SetIdentityDkimEnabled")
        return
    ctx.report.add("ses-dkim", domain, CHANGED, "DKIM signing re-enabled")


def _destination(feedback_topic_arn: str, types: list[str]) -> dict[str, Any]:
    return {
        "Enabled": True,
        "MatchingEventTypes": types,
        "SnsDestination": {"TopicArn": feedback_topic_arn},
    }


def _normal_destination(dest: dict[str, Any]) -> tuple[Any, ...]:
    topic = (dest.get("SnsDestination") or {}).get("TopicArn")
    return (bool(dest.get("Enabled")), sorted(dest.get("MatchingEventTypes") or []), topic)


def ensure_configuration_set(ctx: Context, feedback_topic_arn: str, set_name: str = "") -> None:
    """The stage's configuration set (or `set_name`: the announcements' own) publishing to
    the feedback topic."""
    ses, n = ctx.client("ses"), ctx.names
    set_name = set_name or n.configuration_set
    try:
        ses.describe_configuration_set(ConfigurationSetName=set_name)
        ctx.report.add("ses-configuration-set", set_name, UNCHANGED)
    except ClientError as exc:
        if error_code(exc) != "ConfigurationSetDoesNotExist":
            raise
        try:
            ses.create_configuration_set(ConfigurationSet={"Name": set_name})
        except ClientError as race:
            if error_code(race) != "ConfigurationSetAlreadyExists":
                raise
        ctx.report.record("ses-configuration-set", set_name, created=True, changes=[])

    wanted = _destination(feedback_topic_arn, event_types(n, set_name))
    sesv2, destination = ctx.client("sesv2"), n.event_destination
    described = sesv2.get_configuration_set_event_destinations(ConfigurationSetName=set_name)
    found = [d for d in described.get("EventDestinations") or [] if d.get("Name") == destination]
    name = f"{set_name}/{destination}"
    if not found:
        _create_destination(ctx, wanted, name, set_name)
        return
    if _normal_destination(found[0]) == _normal_destination(wanted):
        ctx.report.add("ses-event-destination", name, UNCHANGED)
        return
    ctx.retry(
        lambda: sesv2.update_configuration_set_event_destination(
            ConfigurationSetName=set_name,
            EventDestinationName=destination,
            EventDestination=wanted,
        ),
        _DESTINATION_RACES,
    )
    ctx.report.record("ses-event-destination", name, created=False, changes=["event types/topic"])


def _create_destination(ctx: Context, wanted: dict[str, Any], name: str, set_name: str) -> None:
    sesv2, n = ctx.client("sesv2"), ctx.names
    try:
        ctx.retry(
            lambda: sesv2.create_configuration_set_event_destination(
                ConfigurationSetName=set_name,
                EventDestinationName=n.event_destination,
                EventDestination=wanted,
            ),
            _DESTINATION_RACES,
        )
    except ClientError as exc:
        if error_code(exc) != "AlreadyExistsException":
            raise
        # A concurrent run created it; the next run compares it and updates it.
        ctx.report.add("ses-event-destination", name, UNCHANGED, "created by a concurrent run")
        return
    ctx.report.record("ses-event-destination", name, created=True, changes=[])


def dns_records(ctx: Context, tokens: list[str], mail_from_domain: str) -> list[DnsRecord]:
    return records_to_publish(ctx.names.domain, ctx.region, tokens, mail_from_domain)


def records_to_publish(domain: str, region: str, tokens: list[str], mail_from_domain: str) -> list[DnsRecord]:
    """What the domain's zone must hold for SES to receive, sign and send for it."""
    records = [
        DnsRecord(domain, "MX", f"10 inbound-smtp.{region}.amazonaws.com", "SES receiving"),
    ]
    records += [
        DnsRecord(f"{t}._domainkey.{domain}", "CNAME", f"{t}.dkim.amazonses.com", "Easy DKIM") for t in tokens
    ]
    # SPF is checked against the envelope sender (MAIL FROM), not the From: header. SES's
    # envelope sender is the custom MAIL FROM subdomain, so SPF goes there, next to the MX
    # SES needs for bounces. It also aligns with the domain under DMARC's relaxed mode.
    # The apex gets no SPF from us: it may already carry one (only one is allowed).
    records += [
        DnsRecord(mail_from_domain, "MX", f"10 feedback-smtp.{region}.amazonses.com", "SES MAIL FROM"),
        DnsRecord(mail_from_domain, "TXT", "v=spf1 include:amazonses.com ~all", "SPF"),
        # No rua: every address of the domain is received by the stage's rule, so aggregate
        # reports sent to dmarc@<domain> would become tickets (see DMARC_NOTE).
        DnsRecord(f"_dmarc.{domain}", "TXT", "v=DMARC1; p=none", "DMARC (see the note)", DMARC_NOTE),
    ]
    return records


DMARC_NOTE = (
    "DMARC starts at p=none (receivers report, nothing is rejected). To read the aggregate "
    "reports add rua=mailto:<an address that is NOT at this domain> (every address of this "
    "domain becomes a ticket); once they show SPF or DKIM aligned for all your mail (a few "
    "weeks), move to p=quarantine."
)


def delete_ses(ctx: Context) -> None:
    """Stop receiving (the stage's rule and rule set), delete the configuration set.

    The domain identity stays: identities belong to the account and region and may be
    shared by other stages, and re-creating one issues new DKIM tokens to publish.
    """
    delete_receiving(ctx)
    restore_feedback_forwarding(ctx)
    delete_configuration_set(ctx, ctx.names.configuration_set)


def delete_configuration_set(ctx: Context, set_name: str) -> None:
    """The stage's configuration set, or the announcements' own; its event destinations go with it."""
    ses = ctx.client("ses")
    delete_resource(
        ctx.report,
        "ses-configuration-set",
        set_name,
        read=lambda: ses.describe_configuration_set(ConfigurationSetName=set_name),
        delete=lambda _: ses.delete_configuration_set(ConfigurationSetName=set_name),
        gone=SES_CONFIGURATION_SET_GONE,
    )


def check_mailboxes(domain: str, mailboxes: list[str]) -> list[str]:
    if "." not in domain or domain.startswith(".") or "@" in domain:
        raise ProvisionError(f"domain {domain!r} is not a domain name")
    addresses = [m.strip().lower() for m in mailboxes]
    for address in addresses:
        local, _, host = address.partition("@")
        if not local or host != domain:
            raise ProvisionError(f"mailbox {address!r} is not an address at {domain}")
    return addresses
