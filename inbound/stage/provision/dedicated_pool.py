"""A dedicated IP pool for announcements (`inbound provision --dedicated-pool NAME [--managed]`).

Announcements send from the pool; acknowledgements and replies stay on the stage's own
configuration set (SES's shared IPs, or whatever the operator chose), so a bulk send's
reputation is isolated from the transactional mail's.

- MANAGED: SES leases, scales and warms up the pool's IPs itself (CreateDedicatedIpPool
  with ScalingMode MANAGED). Nothing else to do here.
- STANDARD: the account's already-leased dedicated IPs (GetDedicatedIps) that sit in no
  pool of the operator's (none, or SES's `ses-default-dedicated-pool`) are moved into it
  (PutDedicatedIpInPool). Their warm-up is the app's business: the announcement sender
  keeps to a daily cap read against each IP's WarmupPercentage (domain/warmup.py), so
  the stage's settings get the pool's name (`INBOUND_WARMUP_POOL`).

The pool carries the tag `inbound:stage=<stage>`; `--delete` removes a pool the
announcements' set points at only when it carries this stage's tag (an operator's own
pool stays). The pool is pointed at with PutConfigurationSetDeliveryOptions, which
replaces every delivery option: the set's TlsPolicy and MaxDeliverySeconds are passed
through unchanged.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.provision.context import Context, ProvisionError, error_code
from inbound.stage.provision.deleting import SES_CONFIGURATION_SET_GONE, SESV2_GONE, delete_resource
from inbound.stage.provision.report import CREATED, KEPT, UNCHANGED
from inbound.stage.ses_documents import announcement_configuration_set

STAGE_TAG = "inbound:stage"
# Where SES keeps leased IPs that the account has put in no pool of its own.
SES_DEFAULT_POOL = "ses-default-dedicated-pool"
WARMUP_POOL_OUTPUT = "INBOUND_WARMUP_POOL"


def _pool(sesv2: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(sesv2.get_dedicated_ip_pool(PoolName=name)["DedicatedIpPool"])
    except ClientError as exc:
        if error_code(exc) not in SESV2_GONE:
            raise
        return None


def dedicated_ips(sesv2: Any, pool: str | None = None) -> list[dict[str, Any]]:
    """Every dedicated IP of the account (or of `pool`), all pages."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"PoolName": pool} if pool else {}
    while True:
        page = sesv2.get_dedicated_ips(**kwargs)
        found += page.get("DedicatedIps") or []
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]


def _pool_arn(ctx: Context, name: str) -> str:
    n = ctx.names
    return f"arn:{n.partition}:ses:{n.region}:{n.account}:dedicated-ip-pool/{name}"


def ensure_dedicated_pool(ctx: Context, name: str, managed: bool) -> dict[str, str]:
    """The pool, its IPs (standard) and the announcements' set sending from it."""
    sesv2 = ctx.client("sesv2")
    mode = "MANAGED" if managed else "STANDARD"
    current = _pool(sesv2, name)
    if current is not None and current.get("ScalingMode", "STANDARD") != mode:
        raise ProvisionError(
            f"dedicated IP pool {name} exists as {current.get('ScalingMode')}, not {mode}: "
            "choose another --dedicated-pool name, or drop/add --managed"
        )
    free: list[str] = []
    if not managed:
        # Checked before anything is created: a standard pool with no IP sends nothing.
        free = [ip["Ip"] for ip in dedicated_ips(sesv2) if ip.get("PoolName") in (None, "", SES_DEFAULT_POOL)]
        if not free and (current is None or not dedicated_ips(sesv2, name)):
            raise ProvisionError(
                f"no dedicated IP leased to the account is free for pool {name}: lease some in the "
                "SES console (Dedicated IPs), or use --managed for SES's managed pool"
            )
    if current is None:
        sesv2.create_dedicated_ip_pool(
            PoolName=name, ScalingMode=mode, Tags=[{"Key": STAGE_TAG, "Value": ctx.names.stage}]
        )
        ctx.report.add("ses-dedicated-ip-pool", name, CREATED, mode)
    else:
        ctx.report.add("ses-dedicated-ip-pool", name, UNCHANGED, mode)
    for ip in free:
        sesv2.put_dedicated_ip_in_pool(Ip=ip, DestinationPoolName=name)
        ctx.report.add("ses-dedicated-ip", ip, "moved", f"into {name}")
    _send_from(ctx, name)
    return {} if managed else {WARMUP_POOL_OUTPUT: name}


def _send_from(ctx: Context, pool: str | None) -> None:
    sesv2, set_name = ctx.client("sesv2"), announcement_configuration_set(ctx.names)
    options = dict(sesv2.get_configuration_set(ConfigurationSetName=set_name).get("DeliveryOptions") or {})
    if options.get("SendingPoolName") == pool:
        ctx.report.add("ses-delivery-options", set_name, UNCHANGED, f"sending pool {pool}")
        return
    had = options.pop("SendingPoolName", None)
    if pool:
        options["SendingPoolName"] = pool
    sesv2.put_configuration_set_delivery_options(ConfigurationSetName=set_name, **options)
    ctx.report.record(
        "ses-delivery-options",
        set_name,
        created=False,
        changes=[f"sending pool {had or '(shared)'} -> {pool}"],
    )


def kept_pool(ctx: Context) -> dict[str, str]:
    """Without --dedicated-pool: a pool the announcements' set already sends from stays, and
    a standard one keeps its warm-up in the stage's settings."""
    sesv2, set_name = ctx.client("sesv2"), announcement_configuration_set(ctx.names)
    options = sesv2.get_configuration_set(ConfigurationSetName=set_name).get("DeliveryOptions") or {}
    name = options.get("SendingPoolName")
    if not name:
        return {}
    pool = _pool(sesv2, name) or {}
    ctx.report.add("ses-dedicated-ip-pool", name, KEPT, "the announcements' set sends from it")
    return {} if pool.get("ScalingMode") == "MANAGED" else {WARMUP_POOL_OUTPUT: name}


def delete_dedicated_pool(ctx: Context) -> None:
    """Before the announcements' set goes: the pool it sends from, if this stage made it."""
    sesv2, set_name = ctx.client("sesv2"), announcement_configuration_set(ctx.names)
    try:
        described = sesv2.get_configuration_set(ConfigurationSetName=set_name)
    except ClientError as exc:
        # moto answers v1's code through v2; SES v2 says NotFoundException.
        if error_code(exc) not in SESV2_GONE | SES_CONFIGURATION_SET_GONE:
            raise
        return
    name = (described.get("DeliveryOptions") or {}).get("SendingPoolName")
    if not name:
        return
    tags = sesv2.list_tags_for_resource(ResourceArn=_pool_arn(ctx, name)).get("Tags") or []
    mine = {"Key": STAGE_TAG, "Value": ctx.names.stage} in tags
    delete_resource(
        ctx.report,
        "ses-dedicated-ip-pool",
        name,
        read=lambda: name,  # the set sends from it, and it has tags: it is there
        # Its standard IPs go back to SES's default pool; a managed pool's leases end.
        delete=lambda _: sesv2.delete_dedicated_ip_pool(PoolName=name),
        gone=SESV2_GONE,
        keep="" if mine else "not made by this stage's provision",
    )
