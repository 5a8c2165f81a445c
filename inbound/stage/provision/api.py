"""After `chalice deploy`: API Gateway's own answers for the REST API Chalice made, and
the stage's public URL (the base of links in mail) that the functions read from SSM.

`chalice deploy` writes the API from a definition with no place for gateway responses,
so a stage deployed that way would answer an unknown route with API Gateway's 403 that
quotes the Authorization header (inbound/stage/gateway_responses.py). `inbound provision` finds
the API in `.chalice/deployed/<stage>.json`, sets the same responses as the CloudFormation
path, and deploys the API stage again when it changed one. Chalice overwrites the whole
API definition on every deploy, so provision runs after each `chalice deploy`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.documents import console_origin
from inbound.stage.gateway_responses import rest_api_definition
from inbound.stage.provision.context import Context, ProvisionError, error_code
from inbound.stage.provision.deleting import SSM_GONE, delete_resource
from inbound.stage.provision.report import CHANGED, CREATED, UNCHANGED

_FIELDS = ("statusCode", "responseParameters", "responseTemplates")


def deployed_rest_api(project_dir: Path, stage: str) -> tuple[str, str] | None:
    """(REST API id, API Gateway stage name) that `chalice deploy` recorded for `stage`."""
    deployed = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not deployed.exists():
        return None
    apis = [
        r
        for r in json.loads(deployed.read_text()).get("resources", [])
        if r.get("resource_type") == "rest_api"
    ]
    if not apis:
        return None
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    api_stage = config.get("stages", {}).get(stage, {}).get("api_gateway_stage") or config.get(
        "api_gateway_stage", "api"
    )
    return str(apis[0]["rest_api_id"]), str(api_stage)


def check_deployed_region(project_dir: Path, stage: str, region: str) -> None:
    """Refuse, in one line, a `chalice deploy` that went to another Region than the stage's.

    `chalice deploy` has no --region: it deploys where the environment or profile says
    (AWS_DEFAULT_REGION, the profile's region), so an operator who provisioned with
    `--region eu-west-1` under a profile of us-east-1 gets functions in us-east-1 reading
    queues they cannot map. The Region is read from the ARNs chalice recorded.
    """
    deployed = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not deployed.exists():
        return
    resources = json.loads(deployed.read_text()).get("resources", [])
    arns = [str(r.get(key)) for r in resources for key in ("lambda_arn", "role_arn") if r.get(key)]
    regions = {arn.split(":")[3] for arn in arns if arn.count(":") >= 5 and arn.split(":")[3]}
    if regions and regions != {region}:
        there = ", ".join(sorted(regions))
        raise ProvisionError(
            f"chalice deployed stage {stage} to {there} ({deployed}), but the stage lives in {region}: "
            f"run `chalice delete --stage {stage}` there, then `AWS_DEFAULT_REGION={region} chalice deploy "
            f"--stage {stage}` (chalice deploy has no --region)"
        )


def ensure_gateway_responses(ctx: Context, rest_api_id: str, api_stage: str) -> list[str]:
    """Put the responses that differ; redeploy `api_stage` when any did. What changed."""
    apigateway = ctx.client("apigateway")
    wanted: dict[str, dict[str, Any]] = rest_api_definition()["x-amazon-apigateway-gateway-responses"]
    changed = []
    for kind, response in wanted.items():
        try:
            have = apigateway.get_gateway_response(restApiId=rest_api_id, responseType=kind)
        except ClientError as exc:
            if error_code(exc) != "NotFoundException":
                raise
            have = {}
        if any(have.get(field) != response.get(field) for field in _FIELDS):
            apigateway.put_gateway_response(restApiId=rest_api_id, responseType=kind, **response)
            changed.append(kind)
    if changed:
        apigateway.create_deployment(
            restApiId=rest_api_id, stageName=api_stage, description="inbound provision: gateway responses"
        )
    ctx.report.record("apigateway-gateway-responses", rest_api_id, created=False, changes=changed)
    return changed


def api_url(rest_api_id: str, api_stage: str, region: str) -> str:
    """The URL `chalice deploy` prints for the API: its routes, /files/ and /u/ hang off it."""
    return f"{console_origin(rest_api_id, region)}/{api_stage}"


def ensure_public_url(ctx: Context, url: str) -> None:
    """Write the URL links in mail point at (chalicelib/adapters/ssm_public_url.py reads it).

    A function cannot learn its own API's URL from `chalice deploy` (the API is made after
    the functions), so without this a deployed stage would mint no links at all."""
    ssm, name = ctx.client("ssm"), ctx.names.public_url_parameter
    try:
        current = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) != "ParameterNotFound":
            raise
        current = None
    if current == url:
        ctx.report.add("ssm-parameter", name, UNCHANGED, url)
        return
    ssm.put_parameter(
        Name=name,
        Value=url,
        Type="String",
        Overwrite=current is not None,
        Description="inbound: the stage's public URL, the base of links in mail",
    )
    ctx.report.add("ssm-parameter", name, CREATED if current is None else CHANGED, url)


def delete_public_url(ctx: Context) -> None:
    ssm, name = ctx.client("ssm"), ctx.names.public_url_parameter
    delete_resource(
        ctx.report,
        "ssm-parameter",
        name,
        read=lambda: ssm.get_parameter(Name=name),
        delete=lambda _: ssm.delete_parameter(Name=name),
        gone=SSM_GONE,
    )
