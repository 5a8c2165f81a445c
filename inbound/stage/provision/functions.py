"""`inbound provision --after-deploy`: what `chalice deploy` cannot set on the functions.

Chalice 1.34 creates the SQS event source mappings without `FunctionResponseTypes`, so
Lambda deletes or retries a batch whole; the CloudFormation path (cfn_template) sets
`ReportBatchItemFailures`. This step makes the `chalice deploy` path equal:

1. each SQS mapping of `ingest` and `record_feedback` gets `ReportBatchItemFailures`.
   Chalice's later deploys update a mapping with UpdateEventSourceMapping naming only the
   batch size, window and concurrency, so the setting survives them;
2. only then, each of those functions gets `INBOUND_PARTIAL_BATCH_RESPONSES=true`, which
   makes it answer with the failed records. Returning that list to a mapping without the
   setting would delete the failed records with the batch, so the order matters. A later
   `chalice deploy` puts the variables of .chalice/config.json back, without this one: the
   functions fail whole batches again (safe, only slower) until this step runs again.

Idempotent; run it after every `chalice deploy`.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from inbound.stage.provision.context import Context, ProvisionError, error_code
from inbound.stage.provision.report import CHANGED, UNCHANGED

REPORT_FAILURES = "ReportBatchItemFailures"
PARTIAL_SWITCH = "INBOUND_PARTIAL_BATCH_RESPONSES"
# The functions fed by a queue, with the queue's role (Chalice names them <app>-<stage>-<fn>).
SQS_FUNCTIONS = {"ingest": "ingest", "record_feedback": "feedback"}


def after_deploy(ctx: Context) -> None:
    for function, queue_role in SQS_FUNCTIONS.items():
        name = f"{ctx.names.prefix}-{function}"
        if _mappings_report_failures(ctx, name, ctx.names.queue_arn(queue_role)):
            _switch_on(ctx, name)


def _mappings_report_failures(ctx: Context, function: str, queue_arn: str) -> bool:
    lam = ctx.client("lambda")
    try:
        pages = lam.get_paginator("list_event_source_mappings").paginate(FunctionName=function)
        mappings = [m for page in pages for m in page["EventSourceMappings"]]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise ProvisionError(f"function {function} is not deployed: run `chalice deploy` first") from exc
        raise
    ours = [m for m in mappings if m.get("EventSourceArn") == queue_arn]
    if not ours:
        raise ProvisionError(
            f"{function} has no event source mapping for {queue_arn}: run `chalice deploy` first"
        )
    for mapping in ours:
        name = f"{function} <- {queue_arn.rsplit(':', 1)[1]}"
        if REPORT_FAILURES in (mapping.get("FunctionResponseTypes") or []):
            ctx.report.add("lambda-event-source", name, UNCHANGED, REPORT_FAILURES)
            continue
        lam.update_event_source_mapping(UUID=mapping["UUID"], FunctionResponseTypes=[REPORT_FAILURES])
        ctx.report.add("lambda-event-source", name, CHANGED, f"{REPORT_FAILURES} on")
    return True


def _switch_on(ctx: Context, function: str) -> None:
    lam = ctx.client("lambda")
    current = lam.get_function_configuration(FunctionName=function)
    variables = dict((current.get("Environment") or {}).get("Variables") or {})
    if variables.get(PARTIAL_SWITCH) == "true":
        ctx.report.add("lambda-function", function, UNCHANGED, f"{PARTIAL_SWITCH}=true")
        return
    variables[PARTIAL_SWITCH] = "true"
    lam.update_function_configuration(FunctionName=function, Environment={"Variables": variables})
    ctx.report.add("lambda-function", function, CHANGED, f"{PARTIAL_SWITCH}=true")
