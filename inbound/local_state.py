"""What the local stack keeps between runs: a snapshot of S3, DynamoDB and SSM in the data dir.

Why a snapshot and not moto's recorder (`/moto-api/recorder/`): the recorder appends every
HTTP request to one log and replays the log on start. Under `inbound up` that log grows
with every SQS long poll (one a second, forever), and replaying it is not faithful: ids
that moto generates (Cognito pool ids, SQS receipt handles, message ids) differ on
replay, so later requests that quote them fail, and replaying a day of work means
re-running a day of requests. The state that matters is small and well defined, so it is
exported instead:

- S3: every object of the stage's buckets (`inbound-<stage>-*`): key, bytes, content
  type, user metadata. Bytes go to content-addressed blobs, so a save writes only new
  objects.
- DynamoDB: every item of the stage's tables (`inbound-<stage>-*`).
- SSM: the stage's parameters under `/inbound/<stage>/` (the reply-token secret: without
  it every reply address handed out before a restart would stop verifying).

Restore runs after provisioning and overwrites what provisioning created (the secret).
Not kept: SQS messages (anything not yet processed is still under `incoming/` and the
stack re-drives it on start), the dead-letter queue (its raw mail is in
`quarantine/failed/`), Cognito users (the first agent is re-created from
credentials.json, see `ensure_agent`).

Consistency: `save` runs while `Quiet.still()` holds the workers (Lambda pollers, SMTP
deliveries, staff API writes) between units of work, so a snapshot never holds half a
delivery. The manifest `state.json` is replaced atomically after its blobs are written;
a crash loses at most the changes since the last save, never the previous snapshot.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import secrets
import string
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code

log = logging.getLogger("inbound.local")

FORMAT = 1
_MISSING_TABLE = "ResourceNotFoundException"
_MISSING_BUCKET = frozenset({"NoSuchBucket", "404"})


class Quiet:
    """Workers run inside `busy()`; `still()` waits until none runs and holds new ones back."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = 0
        self._held = False

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._held)
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def still(self) -> Iterator[None]:
        with self._cond:
            self._held = True
            self._cond.wait_for(lambda: self._busy == 0)
        try:
            yield
        finally:
            with self._cond:
                self._held = False
                self._cond.notify_all()


def _b64_items(value: Any, encode: bool) -> Any:
    """DynamoDB AttributeValues <-> JSON: binary ("B", "BS") as base64 text."""
    if isinstance(value, list):
        return [_b64_items(v, encode) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "B":
            out[key] = base64.b64encode(item).decode("ascii") if encode else base64.b64decode(item)
        elif key == "BS":
            out[key] = [_b64_items({"B": b}, encode)["B"] for b in item]
        else:
            out[key] = _b64_items(item, encode)
    return out


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class LocalState:
    """The stage's data on an AWS endpoint <-> files under `<data_dir>/state/`."""

    def __init__(self, data_dir: Path, clients: dict[str, Any], stage: str) -> None:
        self.root = data_dir / "state"
        self.blobs = self.root / "blobs"
        self.manifest = self.root / "state.json"
        self._s3, self._db, self._ssm = clients["s3"], clients["dynamodb"], clients["ssm"]
        self._prefix = f"inbound-{stage}-"
        self._parameters = f"/inbound/{stage}/"
        self._saved: dict[str, Any] = {}

    # -- restore ---------------------------------------------------------------
    def restore(self) -> dict[str, int]:
        """Put the last snapshot back; returns counts of what was restored."""
        if not self.manifest.exists():
            return {"objects": 0, "items": 0, "parameters": 0}
        state = json.loads(self.manifest.read_text())
        for name, value in state.get("ssm", {}).items():
            self._ssm.put_parameter(Name=name, Value=value["value"], Type=value["type"], Overwrite=True)
        objects = 0
        for bucket, entries in state.get("s3", {}).items():
            for key, entry in entries.items():
                blob = self._blob(entry["sha256"])
                if not blob.exists():
                    log.warning("state: blob of s3://%s/%s is missing; object not restored", bucket, key)
                    continue
                extra = {"ContentType": entry["content_type"]} if entry.get("content_type") else {}
                put = self._s3.put_object(
                    Bucket=bucket, Key=key, Body=blob.read_bytes(), Metadata=entry["metadata"], **extra
                )
                entry["etag"] = put["ETag"]  # so the next save does not download it again
                objects += 1
        items = sum(self._put_items(table, rows) for table, rows in state.get("dynamodb", {}).items())
        self._saved = state
        return {"objects": objects, "items": items, "parameters": len(state.get("ssm", {}))}

    def _put_items(self, table: str, rows: list[dict[str, Any]]) -> int:
        for start in range(0, len(rows), 25):
            request: dict[str, Any] = {
                table: [{"PutRequest": {"Item": _b64_items(row, False)}} for row in rows[start : start + 25]]
            }
            try:
                while request:
                    request = self._db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            except ClientError as exc:
                if error_code(exc) != _MISSING_TABLE:
                    raise
                log.warning(
                    "state: table %s no longer exists; its %d items are not restored", table, len(rows)
                )
                return 0
        return len(rows)

    # -- save --------------------------------------------------------------------
    def save(self) -> bool:
        """Write a new snapshot when anything changed since the last one; True if written."""
        state = self._snapshot()
        if state == self._saved:
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.manifest, json.dumps(state, sort_keys=True).encode("utf-8"))
        self._saved = state
        self._prune(state)
        return True

    def _snapshot(self) -> dict[str, Any]:
        # Objects before items: a delivery committed between the two reads is then seen
        # with its raw mail still in incoming/, which the start-up re-drive finishes.
        s3 = {bucket: self._objects(bucket) for bucket in self._buckets()}
        tables = self._db.list_tables().get("TableNames", [])
        dynamodb = {t: self._items(t) for t in tables if t.startswith(self._prefix)}
        return {"format": FORMAT, "s3": s3, "dynamodb": dynamodb, "ssm": self._parameter_values()}

    def _buckets(self) -> list[str]:
        return [
            b["Name"]
            for b in self._s3.list_buckets().get("Buckets", [])
            if b["Name"].startswith(self._prefix)
        ]

    def _objects(self, bucket: str) -> dict[str, Any]:
        known = self._saved.get("s3", {}).get(bucket, {})
        entries: dict[str, Any] = {}
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for listed in page.get("Contents", []):
                    key, etag = listed["Key"], listed["ETag"]
                    entry = known.get(key)
                    if entry is None or entry["etag"] != etag or not self._blob(entry["sha256"]).exists():
                        entry = self._fetch(bucket, key)
                    if entry is not None:
                        entries[key] = entry
        except ClientError as exc:
            if error_code(exc) not in _MISSING_BUCKET:
                raise
        return entries

    def _fetch(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            got = self._s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) == "NoSuchKey":  # deleted since the listing
                return None
            raise
        data = got["Body"].read()
        sha = hashlib.sha256(data).hexdigest()
        blob = self._blob(sha)
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(blob, data)
        return {
            "sha256": sha,
            "etag": got["ETag"],
            "content_type": got.get("ContentType", ""),
            "metadata": got.get("Metadata", {}),
        }

    def _items(self, table: str) -> list[dict[str, Any]]:
        rows = []
        for page in self._db.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            rows.extend(_b64_items(item, True) for item in page.get("Items", []))
        return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))

    def _parameter_values(self) -> dict[str, Any]:
        values = {}
        pages = self._ssm.get_paginator("get_parameters_by_path").paginate(
            Path=self._parameters, Recursive=True, WithDecryption=True
        )
        for page in pages:
            for param in page.get("Parameters", []):
                values[param["Name"]] = {"value": param["Value"], "type": param["Type"]}
        return values

    def _blob(self, sha: str) -> Path:
        return self.blobs / sha[:2] / sha

    def _prune(self, state: dict[str, Any]) -> None:
        """Remove blobs no object refers to any more (after the manifest is safely written)."""
        wanted = {e["sha256"] for entries in state["s3"].values() for e in entries.values()}
        if not self.blobs.exists():
            return
        for blob in self.blobs.glob("*/*"):
            if blob.name not in wanted and not blob.name.endswith(".tmp"):
                blob.unlink(missing_ok=True)


# -- the first agent ------------------------------------------------------------------
_SYMBOLS = "-_.!#%+="
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)


def _strong_password(length: int = 24) -> str:
    """Random, and meeting the pool's policy (every character class present)."""
    alphabet = "".join(_CLASSES)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in group for c in password) for group in _CLASSES):
            return password


def ensure_agent(cognito: Any, pool_id: str, data_dir: Path, domain: str) -> tuple[dict[str, str], bool]:
    """The first staff account: created once and saved in credentials.json (0600), then
    re-created from that file on every start, because moto keeps no users across runs.
    Returns the credentials and whether they are new."""
    path = data_dir / "credentials.json"
    created = not path.exists()
    if created:
        creds = {"username": f"agent@{domain}", "password": _strong_password()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(creds, handle, indent=2)
    else:
        creds = json.loads(path.read_text())
    os.chmod(path, 0o600)
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=creds["username"],
            UserAttributes=[
                {"Name": "email", "Value": creds["username"]},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
    except ClientError as exc:
        if error_code(exc) != "UsernameExistsException":
            raise
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=creds["username"], Password=creds["password"], Permanent=True
    )
    return creds, created
