"""SES receiving: the stage's receipt rule, where it lives, and the Regions that receive.

SES applies one receipt rule set per account and Region, the *active* one. Making a
stage's own set active would stop every rule of the set active before (another stage's,
an operator's), so a stage never replaces the active set. Instead, as AWS's own samples
do, its rule `inbound-<stage>-receive` is added to the active set, after the rules
already there (rules run in order; ours stores and notifies, it never stops), and is
updated in place on later runs. Only when no set is active is the stage's own set made
active. Without `--activate` the rule waits in the stage's own set `inbound-<stage>`
(which the CloudFormation path also creates). `--delete` removes the stage's rule from
the active set and deletes its own set, never another rule.

The bucket and topic policies let SES write and publish for the stage's rule in any rule
set of the account (`receipt-rule-set/*:receipt-rule/inbound-<stage>-receive`), because
the set it ends up in is the operator's.

An operator's rule can also take the stage's mail away: SES runs a set's rules in order,
and a rule with a Stop action "terminates the evaluation of the receipt rule set" for the
recipients it matches (SES Developer Guide, "Stop action"), so an enabled rule ahead of ours
that matches our recipients and stops (a catch-all that ends with Stop, say) means SES
never stores that mail for us. Provision refuses that in one line, naming the rule, and
`inbound verify`'s receiving step fails on it (`stopped_before`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.provision.context import UNSUPPORTED_SIGNALS, Context, ProvisionError, error_code
from inbound.stage.provision.deleting import SES_RULE_SET_GONE, delete_resource
from inbound.stage.provision.report import CHANGED, DELETED, UNCHANGED, UNSUPPORTED
from inbound.stage.ses_documents import recipient_matches

# Regions with an SES email-receiving endpoint (inbound-smtp.<region>.amazonaws.com), from
# the "Email receiving" table of https://docs.aws.amazon.com/general/latest/gr/ses.html.
RECEIVING_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-northeast-1",
    }
)
_RULE_RACES = frozenset({"InvalidS3Configuration", "InvalidSnsTopic"})


def check_receiving_region(ctx: Context) -> None:
    """One line in the report: does SES receive mail in this Region?"""
    if ctx.region in RECEIVING_REGIONS:
        ctx.report.add("ses-receiving", ctx.region, UNCHANGED, f"MX inbound-smtp.{ctx.region}.amazonaws.com")
        return
    raise ProvisionError(
        f"SES does not receive mail in {ctx.region} (https://docs.aws.amazon.com/general/latest/gr/ses.html, "
        f"Email receiving): provision the stage in one of {', '.join(sorted(RECEIVING_REGIONS))}"
    )


def _takes(entries: list[str], recipient: str) -> bool:
    """Does a rule with recipients `entries` take mail for our `recipient` (an address, or a
    bare domain standing for every address at it, of which an address entry takes one)?"""
    if "@" in recipient:
        return recipient_matches(entries, recipient)
    at_domain = any("@" in e and e.lower().rpartition("@")[2] == recipient.lower() for e in entries)
    return at_domain or recipient_matches(entries, f"anyone@{recipient}")


def stopped_before(
    rules: list[dict[str, Any]], rule: str, recipients: list[str]
) -> tuple[str, list[str]] | None:
    """The first enabled rule ahead of `rule` in a set's `rules` (ahead of the end when `rule`
    is not there yet: it is added last) that stops the set for any of `recipients`, with those
    it takes; None when our rule runs for all of them. A rule without recipients matches
    every recipient of every verified domain."""
    for other in rules:
        if other.get("Name") == rule:
            return None
        stops = any("StopAction" in action for action in other.get("Actions") or [])
        if not (other.get("Enabled") and stops):
            continue
        entries = other.get("Recipients") or []
        taken = [r for r in recipients if _takes(entries, r)]
        if taken:
            return str(other.get("Name")), taken
    return None


def _refuse_if_stopped(rule_set: str, rules: list[dict[str, Any]], rule: dict[str, Any]) -> None:
    stopped = stopped_before(rules, rule["Name"], list(rule.get("Recipients") or []))
    if stopped is None:
        return
    other, taken = stopped
    raise ProvisionError(
        f"rule {other} of the active rule set {rule_set} stops SES's rule evaluation for "
        f"{', '.join(taken)} before {rule['Name']} runs, so that mail would never reach the stage: "
        f"narrow its recipients, or order {rule['Name']} ahead of it (aws ses reorder-receipt-rule-set), "
        f"and run provision again"
    )


def _normal_rule(rule: dict[str, Any]) -> dict[str, Any]:
    keys = ("Name", "Enabled", "TlsPolicy", "ScanEnabled", "Actions")
    out = {key: rule.get(key) for key in keys}
    out["Recipients"] = sorted(r.lower() for r in rule.get("Recipients", []))
    return out


def active_rule_set(ses: Any) -> tuple[str | None, list[dict[str, Any]]]:
    described = ses.describe_active_receipt_rule_set()
    return (described.get("Metadata") or {}).get("Name"), list(described.get("Rules") or [])


def _ensure_rule_set(ctx: Context) -> None:
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


def _put_rule(ctx: Context, rule_set: str, rule: dict[str, Any], report_name: str) -> None:
    """The rule in `rule_set`: created after the set's last rule, or updated in place."""
    ses = ctx.client("ses")
    rules = ses.describe_receipt_rule_set(RuleSetName=rule_set).get("Rules") or []
    current = next((r for r in rules if r.get("Name") == rule["Name"]), None)
    if current is None:
        after = {"After": rules[-1]["Name"]} if rules else {}
        # SES checks that it may write to the bucket and publish to the topic; right after
        # the policies were written that check can fail for a few seconds.
        ctx.retry(lambda: ses.create_receipt_rule(RuleSetName=rule_set, Rule=rule, **after), _RULE_RACES)
        ctx.report.record("ses-receipt-rule", report_name, created=True, changes=[])
        return
    have, want = _normal_rule(current), _normal_rule(rule)
    changes = [key for key in want if have[key] != want[key]]
    if changes:
        ctx.retry(lambda: ses.update_receipt_rule(RuleSetName=rule_set, Rule=rule), _RULE_RACES)
    ctx.report.record("ses-receipt-rule", report_name, created=False, changes=changes)


def ensure_receipt_rule(ctx: Context, rule: dict[str, Any], activate: bool) -> None:
    """The rule in the stage's own set, and in the active set when activated (see above)."""
    ses, n = ctx.client("ses"), ctx.names
    _ensure_rule_set(ctx)
    _put_rule(ctx, n.rule_set, rule, n.rule)
    active, rules = active_rule_set(ses)
    in_active = any(r.get("Name") == n.rule for r in rules)
    if active is not None and (active == n.rule_set or activate or in_active):
        _refuse_if_stopped(active, rules, rule)  # the set we receive through
    if active == n.rule_set:
        ctx.report.add("ses-active-rule-set", n.rule_set, UNCHANGED)
    elif active is None and activate:
        ses.set_active_receipt_rule_set(RuleSetName=n.rule_set)
        ctx.report.add("ses-active-rule-set", n.rule_set, CHANGED, "activated (no rule set was active)")
    elif active is not None and (activate or in_active):
        # Another set is active: receive through it, beside its rules.
        _put_rule(ctx, active, rule, f"{active}/{n.rule}")
        ctx.report.add("ses-active-rule-set", active, UNCHANGED, f"holds {n.rule}")
    else:
        ctx.report.add("ses-active-rule-set", n.rule_set, UNCHANGED, f"not activated; active: {active}")


def delete_receiving(ctx: Context) -> None:
    """The stage's rule out of the active set (if there), then the stage's own set.

    A stage's own set that is active and holds other rules (another stage added its rule
    while ours was the active set) keeps being active with those rules: only ours goes.
    """
    ses, n = ctx.client("ses"), ctx.names
    active, rules = active_rule_set(ses)
    others = [r for r in rules if r.get("Name") != n.rule]
    if active is not None and len(others) < len(rules):
        _delete_rule(ctx, active)
    if active == n.rule_set:
        if others:
            ctx.report.add(
                "ses-receipt-rule-set", n.rule_set, UNCHANGED, f"kept active for {len(others)} other rule(s)"
            )
            return
        ses.set_active_receipt_rule_set()  # no name: no rule set is active
    delete_resource(
        ctx.report,
        "ses-receipt-rule-set",
        n.rule_set,
        read=lambda: ses.describe_receipt_rule_set(RuleSetName=n.rule_set),
        delete=lambda _: ses.delete_receipt_rule_set(RuleSetName=n.rule_set),  # its rules go with it
        gone=SES_RULE_SET_GONE,
    )


def _delete_rule(ctx: Context, rule_set: str) -> None:
    name = f"{rule_set}/{ctx.names.rule}"
    try:
        ctx.client("ses").delete_receipt_rule(RuleSetName=rule_set, RuleName=ctx.names.rule)
    except UNSUPPORTED_SIGNALS as exc:
        if not ctx.is_unsupported(exc):
            raise
        ctx.report.add("ses-receipt-rule", name, UNSUPPORTED, "emulator lacks DeleteReceiptRule")
        return
    ctx.report.add("ses-receipt-rule", name, DELETED)
