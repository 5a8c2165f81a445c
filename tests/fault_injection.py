"""botocore hooks that make a test session fail the way AWS can: on purpose, or by AWS's own limits.

Both fire once per API call outside botocore's retry loop, so what they raise
reaches the code under test as a real failure does once botocore has given up.
FaultInjector hooks `before-call`; AwsLimits hooks `before-parameter-build`,
the one event whose `params` are still the API's own (Key, Item, TransactItems):
by `before-call` they are serialised into a request body. Register them before
any client of the session exists: a client copies the session's hooks when it
is created.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError


class FaultInjector:
    """Fails the n-th AWS call (counted over every client of a session) once; with
    `fail_at` a set, each call counted there.

    `kind` is "error" (a 500 InternalError) or "timeout" (the request may or may
    not have reached AWS; here it did not).
    """

    def __init__(self, session: Any, kind: str = "error") -> None:
        self.calls: list[str] = []
        self.fail_at: int | set[int] | None = None
        self.kind = kind
        session.events.register("before-call.*.*", self._before_call)

    def _before_call(self, model: Any, **_kwargs: Any) -> None:
        index = len(self.calls)
        self.calls.append(f"{model.service_model.service_name}.{model.name}")
        if index in (self.fail_at if isinstance(self.fail_at, set) else {self.fail_at}):
            if self.kind == "timeout":
                raise ReadTimeoutError(endpoint_url=f"https://{model.name}.injected")
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, model.name)


# Limits of the real services that moto 5.2.5 does not check on every call.
DYNAMODB_HASH_KEY_BYTES = 2048
DYNAMODB_RANGE_KEY_BYTES = 1024
S3_KEY_BYTES = 1024
S3_METADATA_BYTES = 2048


def _attribute_bytes(value: dict[str, Any]) -> int:
    if "S" in value:
        return len(str(value["S"]).encode("utf-8", "surrogatepass"))
    if "B" in value:
        return len(value["B"])
    return len(str(value.get("N", "")))


def _validation(operation: str, message: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "ValidationException", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        operation,
    )


class AwsLimits:
    """Refuses, as AWS would, requests whose keys exceed DynamoDB's or S3's limits.

    moto checks DynamoDB key sizes on UpdateItem only and S3's key and metadata
    limits not at all, so without this a key built from mail content that AWS
    would refuse passes every test. `refused` lists what was refused.
    """

    def __init__(self, session: Any) -> None:
        self.refused: list[str] = []
        session.events.register("before-parameter-build.dynamodb.*", self._dynamodb)
        session.events.register("before-parameter-build.s3.*", self._s3)

    def _refuse(self, operation: str, message: str) -> None:
        self.refused.append(f"{operation}: {message}")
        raise _validation(operation, message)

    def _dynamodb(self, model: Any, params: dict[str, Any], **_kwargs: Any) -> None:
        for key in _dynamodb_keys(model.name, params):
            for name, limit in (("pk", DYNAMODB_HASH_KEY_BYTES), ("sk", DYNAMODB_RANGE_KEY_BYTES)):
                if name in key and _attribute_bytes(key[name]) > limit:
                    self._refuse(
                        model.name,
                        f"One or more parameter values were invalid: Size of {name} "
                        f"({_attribute_bytes(key[name])} bytes) exceeds the limit of {limit} bytes",
                    )

    def _s3(self, model: Any, params: dict[str, Any], **_kwargs: Any) -> None:
        key = params.get("Key")
        if isinstance(key, str) and len(key.encode("utf-8", "surrogatepass")) > S3_KEY_BYTES:
            self._refuse(model.name, f"key of {len(key.encode())} bytes exceeds {S3_KEY_BYTES}")
        metadata = params.get("Metadata") or {}
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in metadata.items())
        if size > S3_METADATA_BYTES:
            self._refuse(model.name, f"user metadata of {size} bytes exceeds {S3_METADATA_BYTES}")


def _dynamodb_keys(operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every primary key (or item carrying one) a DynamoDB request names."""
    keys: list[dict[str, Any]] = [
        params[name] for name in ("Key", "Item") if isinstance(params.get(name), dict)
    ]
    for entry in params.get("TransactItems") or []:
        for op in entry.values():
            keys.append(op.get("Key") or op.get("Item") or {})
    for request in (params.get("RequestItems") or {}).values():
        if isinstance(request, dict):  # BatchGetItem
            keys.extend(request.get("Keys") or [])
        else:  # BatchWriteItem
            for write in request:
                keys.append(
                    (write.get("PutRequest") or {}).get("Item")
                    or (write.get("DeleteRequest") or {}).get("Key")
                    or {}
                )
    if operation == "Query":  # the key condition's values: the partition key, a sort key bound
        values = params.get("ExpressionAttributeValues") or {}
        keys.extend({"pk": value} for value in values.values() if isinstance(value, dict))
    return keys


class CommitFirst:
    """Runs `commit(item)` for the next of `items` just before each TransactWriteItems the
    session sends, until none are left: another run committing inside this one's window
    (between its read and its write). `done` holds what each commit returned. Register
    before any client of the session exists."""

    def __init__(self, session: Any, commit: Any, items: list[Any]) -> None:
        self.commit, self.items, self.done = commit, list(items), []
        session.events.register("before-call.dynamodb.TransactWriteItems", self)

    def __call__(self, **_kwargs: Any) -> None:
        if self.items:
            self.done.append(self.commit(self.items.pop(0)))
