"""What `chalice deploy` left behind, read back from the AWS endpoint it deployed to.

`read_back` turns a stage's `.chalice/deployed/<stage>.json` plus the endpoint's view of
each resource into plain data, so that a test can assert on it and compare two deploys.
Only identities and settings go in; timestamps and revision ids, which every update in
place changes, stay out.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

REGION = "us-east-1"


def clients(endpoint: str) -> dict[str, Any]:
    import boto3

    session = boto3.session.Session(region_name=REGION)
    return {
        name: session.client(name, region_name=REGION, endpoint_url=endpoint)
        for name in ("lambda", "iam", "events", "apigateway")
    }


def resources(deployed: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Chalice's record of one resource type, by the name it gives it."""
    return {r["name"]: r for r in deployed["resources"] if r["resource_type"] == resource_type}


def _function(aws: dict[str, Any], arn: str) -> dict[str, Any]:
    lam = aws["lambda"]
    config = lam.get_function_configuration(FunctionName=arn)
    try:
        statements = json.loads(lam.get_policy(FunctionName=arn)["Policy"])["Statement"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        statements = []
    return {
        "arn": config["FunctionArn"],
        "code_sha256": config["CodeSha256"],
        "memory": config["MemorySize"],
        "timeout": config["Timeout"],
        "runtime": config["Runtime"],
        "handler": config["Handler"],
        "role": config["Role"],
        "environment": config.get("Environment", {}).get("Variables", {}),
        "versions": sorted(v["Version"] for v in lam.list_versions_by_function(FunctionName=arn)["Versions"]),
        "mappings": sorted(
            (m["UUID"], m["EventSourceArn"], m["BatchSize"], m["State"])
            for m in lam.list_event_source_mappings(FunctionName=arn)["EventSourceMappings"]
        ),
        # Who may invoke it (EventBridge, API Gateway): one statement each, never a second.
        "permissions": sorted((s["Sid"], s["Principal"]["Service"]) for s in statements),
    }


def _role(aws: dict[str, Any], name: str) -> dict[str, Any]:
    iam = aws["iam"]
    role = iam.get_role(RoleName=name)["Role"]
    policies = iam.list_role_policies(RoleName=name)["PolicyNames"]
    return {
        "id": role["RoleId"],  # a role deleted and created again under the same name gets a new id
        "trust": role["AssumeRolePolicyDocument"],
        "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"] for p in policies},
        "attached": iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"],
    }


def _rules(aws: dict[str, Any]) -> dict[str, Any]:
    events = aws["events"]
    return {
        rule["Name"]: {
            "schedule": rule.get("ScheduleExpression"),
            "state": rule["State"],
            "targets": sorted(
                (t["Id"], t["Arn"]) for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            ),
        }
        for rule in events.list_rules()["Rules"]
    }


def _rest_apis(aws: dict[str, Any]) -> dict[str, Any]:
    apigw = aws["apigateway"]
    apis = {}
    for api in apigw.get_rest_apis()["items"]:
        items = apigw.get_resources(restApiId=api["id"], limit=500)["items"]
        apis[api["id"]] = {
            "name": api["name"],
            "routes": sorted((r["path"], tuple(sorted(r.get("resourceMethods", {})))) for r in items),
            "stages": sorted(s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]),
        }
    return apis


def read_back(endpoint: str, deployed: dict[str, Any]) -> dict[str, Any]:
    """Every function, role, schedule and REST API the endpoint holds, as plain data."""
    aws = clients(endpoint)
    functions = {
        name: _function(aws, r["lambda_arn"]) for name, r in resources(deployed, "lambda_function").items()
    }
    return {
        "functions": functions,
        "roles": {r["Arn"]: _role(aws, r["RoleName"]) for r in aws["iam"].list_roles()["Roles"]},
        "all_mappings": sorted(
            m["UUID"] for m in aws["lambda"].list_event_source_mappings()["EventSourceMappings"]
        ),
        "all_functions": sorted(f["FunctionArn"] for f in aws["lambda"].list_functions()["Functions"]),
        "rules": _rules(aws),
        "rest_apis": _rest_apis(aws),
    }
