"""What the local stack keeps between runs: a snapshot of S3, DynamoDB and SSM in the data dir.

Why a snapshot and not moto's recorder (`/moto-api/recorder/`): the recorder appends every
HTTP request to one log and replays it on start. Under `inbound up` that log grows with
every SQS long poll (one a second, forever), and replay is not faithful: ids that moto
generates (Cognito pool ids, receipt handles, message ids) differ on replay, so later
requests that quote them fail. The state that matters is small and well defined, so it is
exported instead:

- S3: every object of the stage's buckets (`inbound-<stage>-*`): key, bytes, content
  type, user metadata. Bytes go to content-addressed blobs, so a save writes only new
  objects.
- DynamoDB: every item of the stage's tables (`inbound-<stage>-*`).
- SSM: the stage's parameters under `/inbound/<stage>/` (the reply-token secret: without
  it every reply address handed out before a restart would stop verifying).

Restore goes through the AWS API after provisioning (overwriting the secret provisioning
made). Saving reads moto's in-process backends directly (the server runs in this process):
through the API, moto 5.2.5's response serializer costs ~4 ms per DynamoDB item and ~2 ms
per listed S3 object, so a 300-ticket stack took 15 s per save, with the workers held;
the direct read takes well under a second. Even so, reading and encoding every item
each save is O(table), and saves come every second or two while mail arrives: a snapshot
re-reads only the items DynamoDB requests wrote since the last one (`moto_changes`;
S3 objects are compared by ETag, their bytes written once). It is the one place that
knows moto's models.

- SQS: every message of the stage's queues but the ingest queue (`sqs_snapshot`), and the
  emulated SES's event files the snapshot holds on its feedback queue (`published`, see
  `ses_publisher`): a start publishes only the others again.

Not kept: the ingest queue's notifications (anything not yet processed is still under
`incoming/` and the stack re-drives it on start); only their receive counts are. Cognito users are kept beside it
(`staff_pool`, staff-pool.json, written at every save of the stack).

Consistency: `save` runs while `quiet.Quiet.still()` holds the workers (Lambda pollers, SMTP
deliveries, staff API writes) between units of work, so a snapshot never holds half a
delivery. The manifest `state.json` is replaced atomically after its blobs are written;
a crash loses at most the changes since the last save, never the previous snapshot, and
what it loses is rebuilt: the manifest names the accepted mail it holds (`accepted`),
and whatever the journal has beyond that is re-driven on start (`journal`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from inbound.local import moto_changes, sqs_snapshot
from inbound.local.journal import fsync_dir, make_dir_durably, write_durably
from inbound.local.moto_changes import key_text
from inbound.local.state_manifest import ManifestText

log = logging.getLogger("inbound.local")

FORMAT = 1
_MISSING_TABLE = "ResourceNotFoundException"


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


class _MotoView:
    """Read-only access to moto's backends in this process (see the module docstring)."""

    def __init__(self, account: str, region: str) -> None:
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends

        self._s3 = s3_backends[account]["aws"]
        self._db = dynamodb_backends[account][region]

    def buckets(self, prefix: str) -> list[str]:
        return [name for name in list(self._s3.buckets) if name.startswith(prefix)]

    def objects(self, bucket: str) -> Iterator[tuple[str, Any]]:
        keys = self._s3.buckets[bucket].keys
        for name in list(keys):
            key = keys.get(name)
            if key is not None:  # None: deleted since the listing
                yield name, key

    def tables(self, prefix: str) -> list[str]:
        return [name for name in list(self._db.tables) if name.startswith(prefix)]

    def rows(self, table: str) -> dict[str, dict[str, Any]]:
        """Every item of a table, by its key's text (moto's all_items would sort them first)."""
        found = self._db.tables[table]
        rows = {}
        for partition in list(found.items.values()):
            for item in list(partition.values()) if found.range_key_attr else [partition]:
                rows[key_text(_item_key(found, item))] = _row(item)
        return rows

    def row(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """One item by its key (DynamoDB JSON), None when it is not there."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        found = self._db.tables.get(table)
        if found is None or found.hash_key_attr not in key:
            return None
        partition = found.items.get(DynamoType(key[found.hash_key_attr]))  # .get: a defaultdict
        if partition is None or not found.range_key_attr:
            return _row(partition) if partition is not None else None
        item = partition.get(DynamoType(key[found.range_key_attr])) if found.range_key_attr in key else None
        return _row(item) if item is not None else None


def _row(item: Any) -> dict[str, Any]:
    return cast("dict[str, Any]", _b64_items(item.to_json()["Attributes"], True))


def _item_key(table: Any, item: Any) -> dict[str, Any]:
    key = {table.hash_key_attr: item.hash_key.to_json()}
    if table.range_key_attr:
        key[table.range_key_attr] = item.range_key.to_json()
    return key


def _moto_meta(key: Any) -> dict[str, Any]:
    """Content type and user metadata of a moto object, as GetObject would report them."""
    meta = dict(key.metadata)
    user = {k[len("x-amz-meta-") :]: v for k, v in meta.items() if k.lower().startswith("x-amz-meta-")}
    return {"content_type": meta.get("content-type", meta.get("Content-Type", "")), "metadata": user}


class LocalState:
    """The stage's data on an AWS endpoint <-> files under `<data_dir>/state/`."""

    def __init__(
        self, data_dir: Path, clients: dict[str, Any], stage: str, account: str, region: str
    ) -> None:
        self._account, self._region = account, region
        self.root = data_dir / "state"
        self.blobs = self.root / "blobs"
        self.manifest = self.root / "state.json"
        self._s3, self._db, self._ssm = clients["s3"], clients["dynamodb"], clients["ssm"]
        self._sqs = clients.get("sqs")
        self._prefix = f"inbound-{stage}-"
        self._parameters = f"/inbound/{stage}/"
        self._saved: dict[str, Any] = {}
        self._manifest_text = ManifestText()  # json.dumps(state, sort_keys=True), rows kept
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}  # table -> key text -> item, as last read
        self.covered: list[str] = []  # journal entries the restored snapshot holds
        self.unsent: list[list[Any]] = []  # sends the restored snapshot let go (see save)
        self.published: list[str] = []  # emulated SES event files the restored snapshot holds
        self.ingest_receives: dict[str, Any] = {}  # ingest notifications' receive counts (sqs_snapshot)

    # -- restore ---------------------------------------------------------------
    def restore(self) -> dict[str, int]:
        """Put the last snapshot back; returns counts of what was restored."""
        if not self.manifest.exists():
            return {"objects": 0, "items": 0, "parameters": 0, "messages": 0}
        state = json.loads(self.manifest.read_text())
        self.covered = list(state.get("accepted", []))
        self.unsent = list(state.get("sends", []))
        self.published = list(state.get("published", []))
        self.ingest_receives = dict(state.get("ingest_receives", {}))
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
        messages = (
            sqs_snapshot.restore(self._sqs, state.get("sqs", {}), self._account, self._region)
            if self._sqs is not None
            else 0
        )
        self._saved = state
        return {
            "objects": objects,
            "items": items,
            "parameters": len(state.get("ssm", {})),
            "messages": messages,
        }

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
                log.warning("state: table %s is gone; %d items not restored", table, len(rows))
                return 0
        return len(rows)

    # -- save --------------------------------------------------------------------
    def save(
        self,
        accepted: list[str] | None = None,
        sends: list[Any] | None = None,
        published: list[str] | None = None,
    ) -> bool:
        """Write a new snapshot when anything changed since the last one; True if written.
        `accepted`: the journal entries (all already in S3) this snapshot holds; `sends`:
        the mail its state sent, let go once it is written (a start delivers any of them
        a crash kept from the outbox); `published`: the emulated SES's event files whose
        events are on the feedback queue (or already consumed) in this snapshot."""
        make_dir_durably(self.blobs)
        state = {
            **self._snapshot(),
            "accepted": sorted(accepted or []),
            "sends": list(sends or []),
            "published": sorted(published or []),
        }
        if state == self._saved:
            return False
        write_durably(self.manifest, self._manifest_text(state).encode("utf-8"))
        self._saved = state
        self._prune(state)
        return True

    def _snapshot(self) -> dict[str, Any]:
        moto = _MotoView(self._account, self._region)
        written: set[Path] = set()
        s3 = {bucket: self._objects(moto, bucket, written) for bucket in moto.buckets(self._prefix)}
        for folder in written:  # the new blobs' names are on disk before a manifest names them
            fsync_dir(folder)
        try:
            dynamodb = self._tables(moto)
        except BaseException:
            moto_changes.feed.everything()  # what was taken is read again next time
            raise
        sqs = sqs_snapshot.read(self._account, self._region, self._prefix)
        receives = sqs_snapshot.ingest_receives(self._account, self._region, self._prefix)
        return {
            "format": FORMAT,
            "s3": s3,
            "dynamodb": dynamodb,
            "ssm": self._parameter_values(),
            "sqs": sqs,
            "ingest_receives": receives,
        }

    def _tables(self, moto: _MotoView) -> dict[str, list[dict[str, Any]]]:
        """Every item of the stage's tables, re-reading only those changed since the last
        snapshot (moto_changes); a table not read before is read whole."""
        changes = moto_changes.feed.take()
        names = moto.tables(self._prefix)
        self._rows = {name: rows for name, rows in self._rows.items() if name in names}
        for name in names:
            rows = self._rows.get(name)
            if rows is None or changes.everything:
                self._rows[name] = moto.rows(name)
                continue
            for text, key in changes.items.get(name, {}).items():
                row = moto.row(name, key)
                if row is None:
                    rows.pop(text, None)
                else:
                    rows[text] = row
        return {name: [rows[text] for text in sorted(rows)] for name, rows in self._rows.items()}

    def _objects(self, moto: _MotoView, bucket: str, written: set[Path]) -> dict[str, Any]:
        known = self._saved.get("s3", {}).get(bucket, {})
        entries: dict[str, Any] = {}
        for name, key in moto.objects(bucket):
            entry = known.get(name)
            if entry is None or entry["etag"] != key.etag or not self._blob(entry["sha256"]).exists():
                data = key.value
                entry = {"sha256": hashlib.sha256(data).hexdigest(), "etag": key.etag, **_moto_meta(key)}
                blob = self._blob(entry["sha256"])
                if not blob.exists():
                    blob.parent.mkdir(parents=True, exist_ok=True)
                    write_durably(blob, data, sync_dir=False)
                    written.update((blob.parent, self.blobs))
            entries[name] = entry
        return entries

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
