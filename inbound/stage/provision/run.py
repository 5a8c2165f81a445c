"""`inbound provision`: create or update every AWS resource the Lambdas need, idempotently.

`provision` reads each resource, compares it with what the app needs and writes only the
difference, so a second run with the same arguments makes no write call and reports
every entry "unchanged". It owns the documents it writes (bucket, topic and queue
policies, the lifecycle configuration, the receipt rule; built in inbound/stage/documents.py,
which the CloudFormation template reads too): hand edits to them are put back and
reported "changed".

Order matters on real AWS: SES checks, when a receipt rule is created, that it may write
to the bucket and publish to the topic, so topics and bucket policy come first.

Errors are told apart by botocore error code, never by message text. Names derive from
the stage (`inbound-<stage>-...`); the bucket name also carries the account id because
bucket names are global.
"""

from __future__ import annotations

import boto3

from inbound.stage.documents import REPLY_FUNCTION_TIMEOUT, SEND_FUNCTION_TIMEOUT, console_origin
from inbound.stage.provision.alarms import delete_alarms, ensure_alarms
from inbound.stage.provision.announcements import delete_announcements, ensure_announcements
from inbound.stage.provision.api import (
    api_url,
    delete_public_url,
    ensure_gateway_responses,
    ensure_public_url,
)
from inbound.stage.provision.context import Context, Names, ProvisionError, account_of, partition_of
from inbound.stage.provision.dedicated_pool import delete_dedicated_pool, ensure_dedicated_pool, kept_pool
from inbound.stage.provision.event_destinations import ensure_cloudwatch_destinations
from inbound.stage.provision.feedback_forwarding import ensure_feedback_forwarding_off
from inbound.stage.provision.firehose import delete_firehose, ensure_firehose
from inbound.stage.provision.functions import after_deploy as set_partial_batches
from inbound.stage.provision.identity import (
    delete_identity,
    ensure_reply_secret,
    ensure_staff_groups,
    ensure_user_pool,
    ensure_user_pool_client,
    rotate_secret,
)
from inbound.stage.provision.messaging import delete_messaging, ensure_messaging
from inbound.stage.provision.outbox import delete_outbox, ensure_outbox
from inbound.stage.provision.receiving import check_receiving_region, ensure_receipt_rule
from inbound.stage.provision.report import ProvisionReport, render_report
from inbound.stage.provision.ses import (
    check_mailboxes,
    delete_ses,
    dns_records,
    ensure_configuration_set,
    ensure_identity,
)
from inbound.stage.provision.storage import delete_storage, ensure_storage, ensure_upload_cors
from inbound.stage.ses_documents import receipt_rule

__all__ = [
    "ProvisionError",
    "ProvisionReport",
    "after_deploy",
    "delete",
    "provision",
    "render_report",
    "rotate_reply_secret",
]

# Lambda timeouts the queues' visibility timeouts are derived from (6x each); keep them in
# step with .chalice/config.json.
INGEST_FUNCTION_TIMEOUT = 120
FEEDBACK_FUNCTION_TIMEOUT = 30


def _context(
    session: boto3.session.Session, stage: str, domain: str, region: str, endpoint_url: str | None
) -> Context:
    account = account_of(session, region, endpoint_url)
    names = Names(stage, domain.lower(), region, account, partition_of(session, region))
    return Context(session, region, endpoint_url, names, ProvisionReport(stage, region, account))


def provision(
    session: boto3.session.Session,
    stage: str,
    domain: str,
    region: str,
    endpoint_url: str | None = None,
    mailboxes: list[str] | None = None,
    activate: bool = True,
    *,
    ingest_function_timeout: int = INGEST_FUNCTION_TIMEOUT,
    feedback_function_timeout: int = FEEDBACK_FUNCTION_TIMEOUT,
    announce_function_timeout: int = SEND_FUNCTION_TIMEOUT,
    reply_function_timeout: int = REPLY_FUNCTION_TIMEOUT,
    mail_from_subdomain: str = "bounce",
    tls: str = "optional",
    rest_api: tuple[str, str] | None = None,
    dedicated_pool: str | None = None,
    managed_pool: bool = False,
    firehose: bool = False,
    public_url: str = "",
) -> ProvisionReport:
    """Create or update the stage's resources; report per resource and the DNS to publish.

    `mailboxes` are addresses at `domain` (default support@ and billing@, the first being
    the default mailbox). `activate` puts the stage's receipt rule into the active rule
    set of the account and Region, beside the rules already there (or makes the stage's
    own set active when none is); see provision/receiving.py. `tls`: the rule's TlsPolicy,
    "optional" (default) or "require". `rest_api`: (id, API Gateway stage) of the API
    `chalice deploy` made, whose gateway responses are set (provision/api.py).
    `dedicated_pool`: announcements send from this dedicated IP pool, SES's managed one
    with `managed_pool`, else the account's leased IPs on a warm-up plan (provision/dedicated_pool.py).
    `firehose`: every SES event into the mail bucket too, through Kinesis Data Firehose
    (provision/firehose.py). `public_url`: where links in mail point (a custom domain),
    else the deployed API's URL (provision/api.py). The `*_function_timeout`s are the
    timeouts of the functions reading the four queues, whose visibility timeouts are six
    times theirs (the CLI reads them from .chalice/config.json).
    """
    ctx = _context(session, stage, domain, region, endpoint_url)
    n = ctx.names
    addresses = check_mailboxes(n.domain, mailboxes or [f"support@{n.domain}", f"billing@{n.domain}"])
    mail_from = f"{mail_from_subdomain}.{n.domain}"
    check_receiving_region(ctx)

    outputs = ensure_messaging(ctx, ingest_function_timeout, feedback_function_timeout)
    ensure_storage(ctx)
    tokens = ensure_identity(ctx, mail_from)
    ensure_feedback_forwarding_off(ctx)
    rule = receipt_rule(n, addresses, outputs["INBOUND_RECEIVED_TOPIC_ARN"], tls)
    ensure_receipt_rule(ctx, rule, activate)
    ensure_configuration_set(ctx, outputs["INBOUND_FEEDBACK_TOPIC_ARN"])
    outputs.update(
        ensure_announcements(ctx, outputs["INBOUND_FEEDBACK_TOPIC_ARN"], announce_function_timeout)
    )
    outputs.update(ensure_outbox(ctx, reply_function_timeout))
    ensure_cloudwatch_destinations(ctx)
    if firehose:
        ensure_firehose(ctx)
    if dedicated_pool:
        outputs.update(ensure_dedicated_pool(ctx, dedicated_pool, managed_pool))
    else:
        outputs.update(kept_pool(ctx))
    pool_id = ensure_user_pool(ctx)
    ensure_staff_groups(ctx, pool_id)
    client_id = ensure_user_pool_client(ctx, pool_id)
    secret = ensure_reply_secret(ctx)
    ensure_alarms(ctx)
    if rest_api:
        ensure_gateway_responses(ctx, *rest_api)
        ensure_upload_cors(ctx, console_origin(rest_api[0], n.region))
    url = public_url or (api_url(*rest_api, n.region) if rest_api else "")
    if url:
        ensure_public_url(ctx, url)

    outputs.update(
        {
            "INBOUND_STAGE": n.stage,
            "INBOUND_DOMAIN": n.domain,
            "INBOUND_MAILBOXES": ",".join(f"{a}={a.partition('@')[0]}" for a in addresses),
            "INBOUND_DEFAULT_MAILBOX": addresses[0].partition("@")[0],
            "INBOUND_MAIL_BUCKET": n.bucket,
            "INBOUND_TICKETS_TABLE": n.tickets_table,
            "INBOUND_SUPPRESSION_TABLE": n.suppression_table,
            "INBOUND_CONFIGURATION_SET": n.configuration_set,
            "INBOUND_RULE_SET": n.rule_set,
            "INBOUND_USER_POOL_ID": pool_id,
            "INBOUND_USER_POOL_CLIENT_ID": client_id,
            "INBOUND_REPLY_SECRET_PARAMETER": secret,
            "INBOUND_REPLY_SECRET_PREVIOUS_PARAMETER": n.previous_reply_secret_parameter,
        }
    )
    if endpoint_url:
        outputs["INBOUND_ENDPOINT_URL"] = endpoint_url
    ctx.report.outputs = outputs
    ctx.report.dns_records = dns_records(ctx, tokens, mail_from)
    return ctx.report


def delete(
    session: boto3.session.Session,
    stage: str,
    region: str,
    endpoint_url: str | None = None,
    keep_data: bool = True,
    dry_run: bool = False,
) -> ProvisionReport:
    """Tear the stage down. With `keep_data` (the default) the bucket, the tables, the
    user pool (staff accounts) and the reply secret stay, so a later `provision` picks
    them up again. The SES domain identity always stays (see `provision/ses.py`'s `delete_ses`).
    With `dry_run` nothing is changed: the report is the plan (provision/dry_run.py).
    """
    ctx = _context(session, stage, "", region, endpoint_url)
    ctx.dry_run = dry_run
    delete_ses(ctx)  # stop receiving first
    delete_dedicated_pool(ctx)  # read from the announcements' set, so before it goes
    delete_announcements(ctx)
    delete_outbox(ctx)
    delete_firehose(ctx)  # its destinations went with the configuration sets
    delete_messaging(ctx)
    delete_alarms(ctx)
    delete_identity(ctx, keep_data)
    delete_public_url(ctx)
    delete_storage(ctx, keep_data)
    return ctx.report


def after_deploy(
    session: boto3.session.Session,
    stage: str,
    region: str,
    endpoint_url: str | None = None,
    rest_api: tuple[str, str] | None = None,
    public_url: str = "",
) -> ProvisionReport:
    """After every `chalice deploy`: partial batch responses on the SQS functions (see
    provision/functions.py) and, given the deployed API, its gateway responses (provision/api.py),
    both of which a deploy cannot set or takes away; and the URL links in mail point at
    (`public_url`, a custom domain, else the API's), which only exists after the deploy."""
    ctx = _context(session, stage, "", region, endpoint_url)
    set_partial_batches(ctx)
    if rest_api:
        ensure_gateway_responses(ctx, *rest_api)
        ensure_upload_cors(ctx, console_origin(rest_api[0], ctx.names.region))
    url = public_url or (api_url(*rest_api, ctx.names.region) if rest_api else "")
    if url:
        ensure_public_url(ctx, url)
    return ctx.report


def rotate_reply_secret(
    session: boto3.session.Session,
    stage: str,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> ProvisionReport:
    """Replace the reply-token secret, keeping the old one at `...-previous`.

    Verifiers accept either value, so addresses signed before the rotation keep threading
    until the next rotation.
    """
    region = region or session.region_name or "us-east-1"
    ctx = _context(session, stage, "", region, endpoint_url)
    rotate_secret(ctx)
    return ctx.report
