"""SES: domain identity, Easy DKIM, MAIL FROM, receipt rules, configuration set, DNS.

Everything here uses the v1 `ses` API: receipt rules exist only there, and moto
implements configuration-set event destinations only in v1 (its `sesv2` has no event
destination calls). moto v1 lacks Update/DeleteConfigurationSetEventDestination and
DeleteReceiptRule; those paths report "unsupported-here" (see `Context.is_unsupported`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from inbound.provision_context import UNSUPPORTED_SIGNALS, Context, ProvisionError, error_code
from inbound.provision_report import (
    ABSENT,
    CHANGED,
    CREATED,
    DELETED,
    UNCHANGED,
    UNSUPPORTED,
    DnsRecord,
)

EVENT_TYPES = ("send", "reject", "bounce", "complaint", "delivery", "deliveryDelay")
MAIL_FROM_BEHAVIOR = "UseDefaultValue"
_DESTINATION_RACES = frozenset({"InvalidSNSDestination", "InvalidSnsTopic"})
_RULE_RACES = frozenset({"InvalidS3Configuration", "InvalidSnsTopic"})


def desired_rule(ctx: Context, mailboxes: list[str], received_topic_arn: str) -> dict[str, Any]:
    n = ctx.names
    return {
        "Name": n.rule,
        "Enabled": True,
        "TlsPolicy": "Require",
        # A recipient that is a bare domain matches every address of that domain, so
        # plus-addresses (support+T-1.token@) and unknown local parts reach the app too;
        # the app routes those to the default mailbox.
        "Recipients": sorted({*mailboxes, n.domain}),
        "ScanEnabled": True,
        "Actions": [
            {
                "S3Action": {
                    "BucketName": n.bucket,
                    "ObjectKeyPrefix": "incoming/",
                    "TopicArn": received_topic_arn,
                }
            }
        ],
    }


def _normal_rule(rule: dict[str, Any]) -> dict[str, Any]:
    keys = ("Name", "Enabled", "TlsPolicy", "ScanEnabled", "Actions")
    out = {key: rule.get(key) for key in keys}
    out["Recipients"] = sorted(r.lower() for r in rule.get("Recipients", []))
    return out


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


def ensure_receipt_rule(ctx: Context, rule: dict[str, Any], activate: bool) -> None:
    ses, n = ctx.client("ses"), ctx.names
    try:
        ses.describe_receipt_rule_set(RuleSetName=n.rule_set)
        ctx.report.add("ses-receipt-rule-set", n.rule_set, UNCHANGED)
    except ClientError as exc:
        if error_code(exc) != "RuleSetDoesNotExist":
            raise
        try:
            ses.create_receipt_rule_set(RuleSetName=n.rule_set)
        except ClientError as race:
            if error_code(race) != "AlreadyExists":
                raise
        ctx.report.record("ses-receipt-rule-set", n.rule_set, created=True, changes=[])

    try:
        current = ses.describe_receipt_rule(RuleSetName=n.rule_set, RuleName=n.rule)["Rule"]
    except ClientError as exc:
        if error_code(exc) != "RuleDoesNotExist":
            raise
        current = None
    if current is None:
        # SES checks that it may write to the bucket and publish to the topic; right after
        # the policies were written that check can fail for a few seconds.
        ctx.retry(lambda: ses.create_receipt_rule(RuleSetName=n.rule_set, Rule=rule), _RULE_RACES)
        ctx.report.record("ses-receipt-rule", n.rule, created=True, changes=[])
    else:
        have, want = _normal_rule(current), _normal_rule(rule)
        changes = [key for key in want if have[key] != want[key]]
        if changes:
            ctx.retry(lambda: ses.update_receipt_rule(RuleSetName=n.rule_set, Rule=rule), _RULE_RACES)
        ctx.report.record("ses-receipt-rule", n.rule, created=False, changes=changes)

    active = (ses.describe_active_receipt_rule_set().get("Metadata") or {}).get("Name")
    if active == n.rule_set:
        ctx.report.add("ses-active-rule-set", n.rule_set, UNCHANGED)
    elif not activate:
        ctx.report.add("ses-active-rule-set", n.rule_set, UNCHANGED, f"not activated; active: {active}")
    else:
        # One rule set is active per account and region: this replaces any other.
        ses.set_active_receipt_rule_set(RuleSetName=n.rule_set)
        detail = f"replaced active rule set {active}" if active else "activated"
        ctx.report.add("ses-active-rule-set", n.rule_set, CHANGED, detail)


def _destination(ctx: Context, feedback_topic_arn: str) -> dict[str, Any]:
    return {
        "Name": ctx.names.event_destination,
        "Enabled": True,
        "MatchingEventTypes": list(EVENT_TYPES),
        "SNSDestination": {"TopicARN": feedback_topic_arn},
    }


def _normal_destination(dest: dict[str, Any]) -> tuple[Any, ...]:
    topic = (dest.get("SNSDestination") or {}).get("TopicARN")
    return (bool(dest.get("Enabled")), sorted(dest.get("MatchingEventTypes") or []), topic)


def ensure_configuration_set(ctx: Context, feedback_topic_arn: str) -> None:
    ses, n = ctx.client("ses"), ctx.names
    try:
        described = ses.describe_configuration_set(
            ConfigurationSetName=n.configuration_set,
            ConfigurationSetAttributeNames=["eventDestinations"],
        )
        ctx.report.add("ses-configuration-set", n.configuration_set, UNCHANGED)
    except ClientError as exc:
        if error_code(exc) != "ConfigurationSetDoesNotExist":
            raise
        try:
            ses.create_configuration_set(ConfigurationSet={"Name": n.configuration_set})
        except ClientError as race:
            if error_code(race) != "ConfigurationSetAlreadyExists":
                raise
        ctx.report.record("ses-configuration-set", n.configuration_set, created=True, changes=[])
        described = {}

    wanted = _destination(ctx, feedback_topic_arn)
    # Skip empty entries: moto models "no destination" as a None entry.
    found = [d for d in described.get("EventDestinations") or [] if d and d.get("Name") == wanted["Name"]]
    name = f"{n.configuration_set}/{wanted['Name']}"
    if not found:
        _create_destination(ctx, wanted, name)
        return
    if _normal_destination(found[0]) == _normal_destination(wanted):
        ctx.report.add("ses-event-destination", name, UNCHANGED)
        return
    try:
        ctx.retry(
            lambda: ses.update_configuration_set_event_destination(
                ConfigurationSetName=n.configuration_set, EventDestination=wanted
            ),
            _DESTINATION_RACES,
        )
    except UNSUPPORTED_SIGNALS as exc:
        if not ctx.is_unsupported(exc):
            raise
        # moto gap: no UpdateConfigurationSetEventDestination (nor Delete), so a differing
        # destination cannot be fixed on the emulator.
        detail = "differs; emulator lacks UpdateConfigurationSetEventDestination"
        ctx.report.add("ses-event-destination", name, UNSUPPORTED, detail)
        return
    ctx.report.record("ses-event-destination", name, created=False, changes=["event types/topic"])


def _create_destination(ctx: Context, wanted: dict[str, Any], name: str) -> None:
    ses, n = ctx.client("ses"), ctx.names
    try:
        ctx.retry(
            lambda: ses.create_configuration_set_event_destination(
                ConfigurationSetName=n.configuration_set, EventDestination=wanted
            ),
            _DESTINATION_RACES,
        )
    except ClientError as exc:
        if error_code(exc) != "EventDestinationAlreadyExists":
            raise
        # Real AWS: a concurrent run created it. moto: it keeps destination names in one
        # account-wide registry that DeleteConfigurationSet never clears, so a set deleted
        # and re-created cannot get its destination back on the emulator.
        ctx.report.add(
            "ses-event-destination",
            name,
            UNSUPPORTED,
            "name already registered; emulator keeps names of deleted configuration sets",
        )
        return
    ctx.report.record("ses-event-destination", name, created=True, changes=[])


def dns_records(ctx: Context, tokens: list[str], mail_from_domain: str) -> list[DnsRecord]:
    domain, region = ctx.names.domain, ctx.region
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
        DnsRecord(f"_dmarc.{domain}", "TXT", f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}", "DMARC"),
    ]
    return records


def delete_ses(ctx: Context) -> None:
    """Deactivate and delete the rule set, delete the configuration set.

    The domain identity stays: identities belong to the account and region and may be
    shared by other stages, and re-creating one issues new DKIM tokens to publish.
    """
    ses, n = ctx.client("ses"), ctx.names
    active = (ses.describe_active_receipt_rule_set().get("Metadata") or {}).get("Name")
    if active == n.rule_set:
        ses.set_active_receipt_rule_set()  # no name: no rule set is active
    try:
        ses.describe_receipt_rule_set(RuleSetName=n.rule_set)
        ses.delete_receipt_rule_set(RuleSetName=n.rule_set)  # its rules go with it
        ctx.report.add("ses-receipt-rule-set", n.rule_set, DELETED)
    except ClientError as exc:
        if error_code(exc) != "RuleSetDoesNotExist":
            raise
        ctx.report.add("ses-receipt-rule-set", n.rule_set, ABSENT)
    try:
        ses.delete_configuration_set(ConfigurationSetName=n.configuration_set)
        ctx.report.add("ses-configuration-set", n.configuration_set, DELETED)
    except ClientError as exc:
        if error_code(exc) != "ConfigurationSetDoesNotExist":
            raise
        ctx.report.add("ses-configuration-set", n.configuration_set, ABSENT)


def check_mailboxes(domain: str, mailboxes: list[str]) -> list[str]:
    if "." not in domain or domain.startswith(".") or "@" in domain:
        raise ProvisionError(f"domain {domain!r} is not a domain name")
    addresses = [m.strip().lower() for m in mailboxes]
    for address in addresses:
        local, _, host = address.partition("@")
        if not local or host != domain:
            raise ProvisionError(f"mailbox {address!r} is not an address at {domain}")
    return addresses
