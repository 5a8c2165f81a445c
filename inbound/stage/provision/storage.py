"""The mail bucket and the DynamoDB tables: create, reconcile, tear down."""

from __future__ import annotations

from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.documents import (
    ENCRYPTION,
    LIFECYCLE_RULES,
    PUBLIC_ACCESS_BLOCK,
    TABLE_KEYS,
    TTL_ATTRIBUTE,
    attribute_definitions,
    bucket_policy,
    index_definition,
    table_definition,
    tables,
    upload_cors,
)
from inbound.stage.provision.context import Context, ProvisionError, canonical, error_code, policy_json
from inbound.stage.provision.deleting import RESOURCE_GONE, S3_GONE, delete_resource


def _read(call: Any, missing: str, **kwargs: Any) -> Any:
    """The response of a bucket-configuration GET, or None when it is not set."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if error_code(exc) == missing:
            return None
        raise


def _bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except ClientError as exc:
        if error_code(exc) in S3_GONE:
            return False
        raise  # 403: the name is someone else's


def _normal_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        rule = {k: v for k, v in rule.items() if k not in ("Prefix",)}
        if rule.get("Filter") in ({}, {"Prefix": ""}):
            rule["Filter"] = {}
        out.append(rule)
    return sorted(out, key=lambda r: str(r.get("ID")))


def ensure_bucket(ctx: Context) -> None:
    s3, bucket = ctx.client("s3"), ctx.names.bucket
    created = False
    if not _bucket_exists(s3, bucket):
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if ctx.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        try:
            s3.create_bucket(**kwargs)
            created = True
        except ClientError as exc:
            if error_code(exc) != "BucketAlreadyOwnedByYou":  # a concurrent run made it
                raise
    changes: list[str] = []

    pab = _read(s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", Bucket=bucket)
    if (pab or {}).get("PublicAccessBlockConfiguration") != PUBLIC_ACCESS_BLOCK:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
        changes.append("public access block")

    enc = _read(s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError", Bucket=bucket)
    rules = (enc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    if default.get("SSEAlgorithm") != "AES256" or default.get("KMSMasterKeyID"):
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ENCRYPTION)
        changes.append("default encryption")

    wanted_policy = bucket_policy(ctx.names)
    policy = _read(s3.get_bucket_policy, "NoSuchBucketPolicy", Bucket=bucket)
    if canonical((policy or {}).get("Policy", "{}")) != canonical(wanted_policy):
        s3.put_bucket_policy(Bucket=bucket, Policy=policy_json(wanted_policy))
        changes.append("bucket policy")

    lifecycle = _read(s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration", Bucket=bucket)
    if _normal_rules((lifecycle or {}).get("Rules", [])) != _normal_rules(LIFECYCLE_RULES):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": LIFECYCLE_RULES}
        )
        changes.append("lifecycle rules")

    ctx.report.record("s3-bucket", bucket, created=created, changes=[] if created else changes)


def ensure_upload_cors(ctx: Context, console_origin: str) -> None:
    """The bucket's CORS rule for the console's attachment uploads (documents.upload_cors)."""
    s3, bucket = ctx.client("s3"), ctx.names.bucket
    wanted = upload_cors(console_origin)
    have = _read(s3.get_bucket_cors, "NoSuchCORSConfiguration", Bucket=bucket) or {}
    changed = have.get("CORSRules") != wanted["CORSRules"]
    if changed:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=wanted)  # type: ignore[arg-type]
    ctx.report.record("s3-bucket-cors", bucket, created=False, changes=[console_origin] if changed else [])


def _describe_table(ddb: Any, table: str) -> dict[str, Any] | None:
    try:
        return dict(ddb.describe_table(TableName=table)["Table"])
    except ClientError as exc:
        if error_code(exc) in RESOURCE_GONE:
            return None
        raise


def _wait_active(ctx: Context, table: str) -> dict[str, Any]:
    """Poll until the table and its indexes are ACTIVE (immediate on emulators)."""
    for _ in range(120):
        desc = _describe_table(ctx.client("dynamodb"), table) or {}
        statuses = [desc.get("TableStatus")]
        statuses += [g.get("IndexStatus") for g in desc.get("GlobalSecondaryIndexes", [])]
        if all(status == "ACTIVE" for status in statuses):
            return desc
        ctx.sleep(5)
    raise ProvisionError(f"table {table} did not become ACTIVE in 10 minutes")


def _add_index(ctx: Context, table: str, index: dict[str, Any], keys: tuple[str, str]) -> None:
    """One index per update_table call: AWS refuses several index creations at once."""
    ctx.retry(
        lambda: ctx.client("dynamodb").update_table(
            TableName=table,
            AttributeDefinitions=attribute_definitions(*keys),
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        ),
        frozenset({"ResourceInUseException", "LimitExceededException"}),
    )
    _wait_active(ctx, table)


def ensure_table(ctx: Context, table: str, indexes: dict[str, tuple[str, str]]) -> None:
    ddb = ctx.client("dynamodb")
    desc = _describe_table(ddb, table)
    created = False
    if desc is None:
        try:
            ddb.create_table(**table_definition(table, indexes))
            created = True
        except ClientError as exc:
            if error_code(exc) != "ResourceInUseException":  # a concurrent run made it
                raise
    desc = _wait_active(ctx, table)
    changes: list[str] = []

    if desc["KeySchema"] != TABLE_KEYS:
        raise ProvisionError(f"table {table} has key schema {desc['KeySchema']}; expected pk/sk")
    if desc.get("BillingModeSummary", {}).get("BillingMode") != "PAY_PER_REQUEST":
        ddb.update_table(TableName=table, BillingMode="PAY_PER_REQUEST")
        changes.append("billing mode PAY_PER_REQUEST")
        desc = _wait_active(ctx, table)
    existing = {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}
    for name, keys in indexes.items():
        wanted = index_definition(name, *keys)
        if name not in existing:
            _add_index(ctx, table, wanted, keys)
            changes.append(f"index {name} added")
        elif (existing[name]["KeySchema"], existing[name]["Projection"]) != (
            wanted["KeySchema"],
            wanted["Projection"],
        ):
            raise ProvisionError(
                f"index {name} of {table} differs from {keys} with projection ALL; "
                "an index cannot be changed in place: delete it and run provision again"
            )

    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    if pitr != "ENABLED":
        # PITR can be refused for a short while after a table is created.
        ctx.retry(
            lambda: ddb.update_continuous_backups(
                TableName=table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            ),
            frozenset({"ContinuousBackupsUnavailableException"}),
        )
        changes.append("point-in-time recovery enabled")

    ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    ttl_on = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    if ttl_on and ttl.get("AttributeName") != TTL_ATTRIBUTE:
        # AWS allows no switch of attribute without disabling first (and then waiting an hour).
        raise ProvisionError(
            f"table {table} expires items by {ttl.get('AttributeName')}, not {TTL_ATTRIBUTE}"
        )
    if not ttl_on:
        ddb.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
        changes.append(f"TTL on {TTL_ATTRIBUTE}")

    ctx.report.record("dynamodb-table", table, created=created, changes=[] if created else changes)


def ensure_storage(ctx: Context) -> None:
    ensure_bucket(ctx)
    for name, indexes in tables(ctx.names).items():
        ensure_table(ctx, name, indexes)


def _empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker (S3 deletes only an empty bucket); how many."""
    paginator = s3.get_paginator("list_object_versions")
    count = 0
    for page in paginator.paginate(Bucket=bucket):
        doomed = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
            count += len(doomed)
    return count


def delete_storage(ctx: Context, keep_data: bool) -> None:
    """Delete the bucket (emptied first) and tables, unless `keep_data`."""
    s3, ddb, bucket = ctx.client("s3"), ctx.client("dynamodb"), ctx.names.bucket

    def delete_bucket(_: object) -> str:
        count = _empty_bucket(s3, bucket)
        s3.delete_bucket(Bucket=bucket)
        return f"{count} object{'s' if count != 1 else ''} with it"

    delete_resource(
        ctx.report,
        "s3-bucket",
        bucket,
        read=lambda: s3.head_bucket(Bucket=bucket),
        delete=delete_bucket,
        gone=S3_GONE,
        keep="the mail (--delete-data deletes it)" if keep_data else "",
    )
    for name in tables(ctx.names):
        delete_resource(
            ctx.report,
            "dynamodb-table",
            name,
            read=partial(ddb.describe_table, TableName=name),
            delete=lambda found: ddb.delete_table(TableName=found["Table"]["TableName"]),
            gone=RESOURCE_GONE,
            keep="its items (--delete-data deletes it)" if keep_data else "",
        )
