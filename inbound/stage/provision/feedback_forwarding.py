"""SES's email feedback forwarding for the stage's domain: off while a stage receives it.

Bounces and complaints reach record_feedback as the configuration set's SNS events; with
forwarding on, SES would also mail them to the sending address, a support mailbox, where
they would become tickets. SES turns forwarding off only for an identity with SNS topics
for both Bounce and Complaint notifications (SetIdentityFeedbackForwardingEnabled), so
those go to a topic of the stage's own that nothing reads. A teardown gives the domain
forwarding back, unless another stage still receives it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.provision.context import Context, Names, ProvisionError, error_code
from inbound.stage.provision.messaging import ensure_topic
from inbound.stage.provision.report import CHANGED

IDENTITY_FEEDBACK_ROLE = "identity-feedback"
_FEEDBACK_TYPES = ("Bounce", "Complaint")
_ATTRIBUTES_PER_REQUEST = 100


def ensure_feedback_forwarding_off(ctx: Context) -> None:
    """No bounce or complaint comes back as mail: the configuration set's SNS events are
    the source (record_feedback), and forwarded copies would land in the support queue.

    SES turns email forwarding off only for an identity with SNS topics for both Bounce
    and Complaint notifications (SetIdentityFeedbackForwardingEnabled). Those identity
    notifications repeat what the configuration set publishes, so they go to a topic of
    their own that nothing reads (`inbound-<stage>-identity-feedback`). An identity that
    already has topics (another stage on the same domain, an operator's) keeps them.
    """
    ses, domain = ctx.client("ses"), ctx.names.domain
    topic = ensure_topic(ctx, IDENTITY_FEEDBACK_ROLE)
    attributes = ses.get_identity_notification_attributes(Identities=[domain])["NotificationAttributes"]
    current = attributes.get(domain, {})
    changes = []
    # Off already means SES holds topics for both kinds: nothing to check further.
    if current.get("ForwardingEnabled", True):
        missing = [kind for kind in _FEEDBACK_TYPES if not current.get(f"{kind}Topic")]
        for kind in missing:
            ses.set_identity_notification_topic(Identity=domain, NotificationType=kind, SnsTopic=topic)
        if missing:
            changes.append(f"{'/'.join(missing)} notifications to {ctx.names.topic(IDENTITY_FEEDBACK_ROLE)}")
        ses.set_identity_feedback_forwarding_enabled(Identity=domain, ForwardingEnabled=False)
        changes.append("email feedback forwarding off")
    ctx.report.record("ses-feedback-forwarding", domain, created=False, changes=changes)


def restore_feedback_forwarding(ctx: Context) -> None:
    """On delete: an identity whose notifications go to this stage's topic gets email
    forwarding back (SES needs it on before the topics can go), then loses the topics;
    unless another stage still receives the domain, whose own identity-feedback topic then
    takes them, so forwarding stays off for it."""
    ses, topic_arn = ctx.client("ses"), ctx.names.topic_arn(IDENTITY_FEEDBACK_ROLE)
    for domain, current in _notification_attributes(ses, _domain_identities(ses)):
        ours = [k for k in _FEEDBACK_TYPES if current.get(f"{k}Topic") == topic_arn]
        if not ours:
            continue
        other = _other_stage_topic(ctx, domain)
        if other is not None:
            for kind in ours:
                ses.set_identity_notification_topic(Identity=domain, NotificationType=kind, SnsTopic=other)
            detail = f"email forwarding stays off: notifications to {other.rsplit(':', 1)[1]}"
            ctx.report.add("ses-feedback-forwarding", domain, CHANGED, detail)
            continue
        ses.set_identity_feedback_forwarding_enabled(Identity=domain, ForwardingEnabled=True)
        for kind in ours:
            ses.set_identity_notification_topic(Identity=domain, NotificationType=kind)
        ctx.report.add("ses-feedback-forwarding", domain, CHANGED, "email forwarding back on")


def _domain_identities(ses: Any) -> list[str]:
    """Every domain identity of the account and Region: ListIdentities pages (NextToken)."""
    domains: list[str] = []
    for page in ses.get_paginator("list_identities").paginate(IdentityType="Domain"):
        domains += page.get("Identities") or []
    return domains


def _notification_attributes(ses: Any, identities: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Each identity's notification attributes; GetIdentityNotificationAttributes takes at
    most 100 identities a request."""
    found: list[tuple[str, dict[str, Any]]] = []
    for start in range(0, len(identities), _ATTRIBUTES_PER_REQUEST):
        chunk = identities[start : start + _ATTRIBUTES_PER_REQUEST]
        found += ses.get_identity_notification_attributes(Identities=chunk)["NotificationAttributes"].items()
    return found


def _other_stage_topic(ctx: Context, domain: str) -> str | None:
    """The identity-feedback topic of another stage whose own rule set receives `domain`
    (each stage's set `inbound-<stage>` holds its rule `inbound-<stage>-receive`), if it exists."""
    ses, sns, n = ctx.client("ses"), ctx.client("sns"), ctx.names
    sets, token = [], None
    while True:
        page = ses.list_receipt_rule_sets(**({"NextToken": token} if token else {}))
        sets += [s["Name"] for s in page.get("RuleSets") or []]
        token = page.get("NextToken")
        if not token:
            break
    for rule_set in sorted(sets):
        stage = rule_set.removeprefix("inbound-")
        if stage == rule_set or stage == n.stage:
            continue
        try:
            other = Names(stage, domain, n.region, n.account, n.partition)
        except ProvisionError:
            continue  # not a stage's name
        rules = ses.describe_receipt_rule_set(RuleSetName=rule_set).get("Rules") or []
        if not any(r.get("Name") == other.rule and domain in (r.get("Recipients") or []) for r in rules):
            continue
        try:
            sns.get_topic_attributes(TopicArn=other.topic_arn(IDENTITY_FEEDBACK_ROLE))
        except ClientError as exc:
            if error_code(exc) != "NotFound":
                raise
            continue
        return other.topic_arn(IDENTITY_FEEDBACK_ROLE)
    return None
