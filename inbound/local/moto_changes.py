"""Which DynamoDB items changed since the snapshot last looked (`local/state.py`).

A snapshot that re-reads and re-encodes every item of every table costs O(table) each
time, and `inbound up` saves every few seconds while mail comes in (each acknowledgement
waits for a save): a 1,000-mail burst spent more time saving than filing. So every
DynamoDB request that moto's server answers in this process is looked at after it ran:
a write names the items it may have changed (PutItem, UpdateItem, DeleteItem,
BatchWriteItem, TransactWriteItems, by their keys), a read changes nothing, and any other
request (a table created or deleted, PartiQL, a restore: anything not known here) marks
everything changed, so the next snapshot reads it all again. A request that failed is
counted too (reading an item again costs little). Nothing is recorded until `install()`;
until then `take()` says "everything", the safe answer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

_READS = ("Get", "BatchGet", "Query", "Scan", "TransactGet", "Describe", "List")


@dataclass
class Changes:
    everything: bool = False
    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # table -> key text -> key


class _Feed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changes = Changes(everything=True)
        self.installed = False

    def take(self) -> Changes:
        """What changed since the last take (everything, before the first)."""
        with self._lock:
            taken, self._changes = self._changes, Changes(everything=not self.installed)
        return taken

    def everything(self) -> None:
        with self._lock:
            self._changes.everything = True

    def items(self, table: str, keys: list[dict[str, Any]]) -> None:
        with self._lock:
            known = self._changes.items.setdefault(table, {})
            for key in keys:
                known[key_text(key)] = key


feed = _Feed()


def key_text(key: dict[str, Any]) -> str:
    """One text per item key (its attributes in DynamoDB JSON)."""
    return json.dumps(key, sort_keys=True)


def _key_of(table: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attributes[name] for name in names if name in attributes}


def _written(body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(table, kind, attributes) of every item a write request names."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    if "TransactItems" in body:
        for entry in body["TransactItems"]:
            for kind, op in entry.items():
                if kind in ("Put", "Update", "Delete"):  # a ConditionCheck writes nothing
                    out.append((op["TableName"], kind, op["Item" if kind == "Put" else "Key"]))
        return out
    if "RequestItems" in body:
        for table, requests in body["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    out.append((table, "Put", request["PutRequest"]["Item"]))
                elif "DeleteRequest" in request:
                    out.append((table, "Delete", request["DeleteRequest"]["Key"]))
        return out
    return [(body["TableName"], "Put" if "Item" in body else "Write", body.get("Item") or body["Key"])]


def _record(handler: Any, action: str) -> None:
    if action.startswith(_READS):
        return
    if action not in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"):
        feed.everything()
        return
    try:
        tables = handler.dynamodb_backend.tables
        by_table: dict[str, list[dict[str, Any]]] = {}
        for name, _, attributes in _written(handler.body):
            if name in tables:
                by_table.setdefault(name, []).append(_key_of(tables[name], attributes))
    except (KeyError, TypeError, AttributeError):
        feed.everything()  # a request moto refused as malformed: read it all, to be safe
        return
    for name, keys in by_table.items():
        feed.items(name, keys)


def install() -> None:
    """Record the changes of every DynamoDB request moto answers in this process (idempotent)."""
    if feed.installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    call_action = DynamoHandler.call_action

    def recorded(self: Any) -> Any:
        try:
            return call_action(self)
        finally:
            try:
                action = str(self._get_action())
            except Exception:  # noqa: BLE001 - never mask the request's own answer or error
                action = ""  # unknown: everything is read again
            _record(self, action)

    DynamoHandler.call_action = recorded  # type: ignore[method-assign]
    feed.installed = True
    feed.everything()
