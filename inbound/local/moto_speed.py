"""Where moto 5.2.5 pays per request for the size of a table or a queue, and AWS does not.

1. Query. moto answers a Query of the base table by sorting every item of the table and
   keeping the partition's (DynamoDB reads the partition's keys only). A Query without
   an index reads the partition here; the result (items, order, pages) is moto's own.
2. ReceiveMessage. For every message it hands out, moto computes all of the queue's
   attributes (three passes over every message in the queue, for the approximate counts)
   to read one, MessageRetentionPeriod: O(queue) per message received. It is read here
   from the queue itself.
3. SendMessage (and so every SNS publish to a queue) computes them all too, to read
   ContentBasedDeduplication: with a backlog of a burst's notifications in the ingest
   queue, each new one cost a pass over all of them. While a message is sent, a queue's
   attributes are that one attribute (for a FIFO queue; a standard queue has none).
4. UpdateExpression. moto parses an update expression twice per Update (the request's
   check and the backend's), and its validator deep-copies the parsed tree (copy.deepcopy,
   node by node) before resolving it against the item: at a burst's ~11 Updates per mail
   (the ticket counter, the change counter, the acknowledgement's guard, reputation)
   this was a tenth of `inbound up`'s CPU. An expression is parsed once and its tree
   shared (moto only reads it), and the validator's copy is made from the tree's pickle:
   the same tree as moto's, at a fraction of the cost.
5. Every request. moto finds the handler's method for an action by listing every function
   of the handler's class (`inspect.getmembers`: a few hundred attributes, sorted) to ask
   whether one name is among them: a tenth of a DynamoDB GetItem's server side. The one
   name is looked up instead (the same answer: a function of that name on the class).
6. ConditionExpression. moto lexes a condition (a dozen regular expressions tried at every
   token) each time it is used, twice per conditional write. The tokens of an expression's
   text are kept (moto only reads them: its parser builds new nodes from them); a text that
   does not lex fails each time.
7. Importing moto's SSM. moto.ssm imports moto.ec2 (for its AMI parameters), whose import
   lists EC2's regions in three partitions, each through a new boto3 Session; each loads
   EC2's service model (a hundred thousand dicts of JSON) to read one endpoint prefix, and
   drops it: 0.5 s of CPU and 0.25 s of collecting that garbage, at every start of `inbound up`
   and in every test process. One session answers the three (the same regions).
8. CreateUserPool. Every user pool moto makes imports the one private key moto signs all
   Cognito tokens with (a JWK without its primes: recovering them is 0.1 s of CPU), and
   every provisioned stage makes a pool: each `inbound up` start, each test module's stack,
   each provision test. The key is imported once and the pools share it, as they share
   the JSON it comes from.
"""

from __future__ import annotations

import copy
import inspect
import pickle
import threading
from typing import Any, cast

_active = threading.local()
_installed = False


def install() -> None:
    """Patch moto's DynamoDB Query and SQS ReceiveMessage and SendMessage in this process (idempotent)."""
    global _installed
    if _installed:
        return
    _ec2_regions_from_one_session()
    _query_reads_the_partition()
    _retention_from_the_queue()
    _sending_reads_one_attribute()
    _update_expressions_parsed_once()
    _action_methods_looked_up()
    _conditions_lexed_once()
    _user_pool_key_imported_once()
    _installed = True


def _ec2_regions_from_one_session() -> None:
    import sys

    import boto3

    if "moto.ec2.models.availability_zones_and_regions" in sys.modules:
        return
    real, shared = boto3.Session, boto3.Session()

    def session(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **kwargs) if args or kwargs else shared

    boto3.Session = session  # type: ignore[assignment,misc]
    try:
        from moto.ec2.models import availability_zones_and_regions
    finally:
        boto3.Session = real  # type: ignore[misc]
    availability_zones_and_regions.Session = real  # type: ignore[misc]


def _query_reads_the_partition() -> None:
    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    signature = inspect.signature(query)

    def partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        if bound.get("index_name") is not None or bound.get("hash_key") is None:
            return query(self, *args, **kwargs)
        _active.partition = bound["hash_key"]
        try:
            return query(self, *args, **kwargs)
        finally:
            _active.partition = None

    def items_of_partition(self: Any) -> list[Any]:
        partition = getattr(_active, "partition", None)
        if partition is None:
            return all_items(self)
        found = self.items.get(partition)  # .get: items is a defaultdict
        if found is None:
            return []
        if not self.range_key_attr:
            return [found]
        return sorted(found.values(), key=lambda item: item.range_key)

    Table.query = partition_query  # type: ignore[method-assign]
    Table.all_items = items_of_partition  # type: ignore[method-assign]


class _Functions:
    """The names of a class's functions, as `name in` asks it (moto's method_names_from_class).
    Looked up when asked, so a method patched in later (moto_fidelity's) is found too."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self.cls, name, None))


def _action_methods_looked_up() -> None:
    from moto.core import responses

    responses.method_names_from_class = _Functions  # type: ignore[assignment]


_LEXED: dict[str, tuple[Any, ...]] = {}  # condition text -> moto's tokens of it, never changed


def _conditions_lexed_once() -> None:
    from collections import deque

    from moto.dynamodb.comparisons import ConditionExpressionParser

    lex = ConditionExpressionParser._lex_condition_expression

    def lexed(self: Any) -> Any:
        text = self.condition_expression
        tokens = _LEXED.get(text)
        if tokens is None:
            tokens = tuple(lex(self))
            if len(_LEXED) >= _MAX_TREES:
                _LEXED.clear()
            _LEXED[text] = tokens
        return deque(tokens)

    ConditionExpressionParser._lex_condition_expression = lexed  # type: ignore[method-assign]


def _retention_from_the_queue() -> None:
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention + message.sent_timestamp / 1000 > unix_time())

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]


def _sending_reads_one_attribute() -> None:
    from moto.sqs.models import Queue, SQSBackend

    every_attribute: Any = Queue.attributes  # the property itself
    send = SQSBackend.send_message

    def send_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        _active.sending = True
        try:
            return send(self, *args, **kwargs)
        finally:
            _active.sending = False

    def attributes(self: Any) -> dict[str, Any]:
        if not getattr(_active, "sending", False):
            return cast("dict[str, Any]", every_attribute.fget(self))
        if not self.fifo_queue:
            return {}
        return {"ContentBasedDeduplication": "true" if self.content_based_deduplication else "false"}

    SQSBackend.send_message = send_message  # type: ignore[method-assign]
    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]


_TREES: dict[str, Any] = {}  # expression -> moto's tree of it, shared and never changed
_PICKLED: dict[int, tuple[Any, bytes]] = {}  # id(tree) -> (tree, its pickle)
_MAX_TREES = 1024
parses = 0  # update expressions parsed by moto's parser since start


def update_expression_tree(expression: str) -> Any:
    """moto's tree of an update expression, parsed once (a parse error is raised each time).

    Shared: moto's request check only reads it (find_clauses) and its validator copies it
    before resolving it against an item (`_tree_copy`), so nothing changes a shared tree."""
    global parses
    tree = _TREES.get(expression)
    if tree is None:
        from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

        tree = UpdateExpressionParser.moto_make(expression)
        parses += 1
        if len(_TREES) >= _MAX_TREES:
            _TREES.clear()
            _PICKLED.clear()
        _TREES[expression] = tree
        _PICKLED[id(tree)] = (tree, pickle.dumps(tree, pickle.HIGHEST_PROTOCOL))
    return tree


def tree_pickle(tree: Any) -> bytes | None:
    """The pickle of a shared tree (one per expression text), None for any other tree."""
    known = _PICKLED.get(id(tree))
    return known[1] if known is not None and known[0] is tree else None


def _tree_copy(value: Any, memo: Any = None) -> Any:
    """The validator's copy of a tree: from the shared tree's pickle (a copy.deepcopy of
    moto's node objects cost four times as much)."""
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    known = _PICKLED.get(id(value))
    if known is not None and known[0] is value:
        return pickle.loads(known[1])
    if isinstance(value, Node):
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    return copy.deepcopy(value, memo)


def _update_expressions_parsed_once() -> None:
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    UpdateExpressionParser.moto_make = UpdateExpressionParser.make
    UpdateExpressionParser.make = staticmethod(update_expression_tree)
    validators.deepcopy = _tree_copy  # type: ignore[attr-defined,assignment]


def _user_pool_key_imported_once() -> None:
    import json
    from types import SimpleNamespace

    from moto.cognitoidp import models

    import_key = models.jwk.RSAKey.import_key
    imported: dict[str, Any] = {}  # the JWK's JSON -> the key; moto has one

    def key_of(data: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(data, dict):
            return import_key(data, *args, **kwargs)
        text = json.dumps(data, sort_keys=True)
        if text not in imported:
            imported[text] = import_key(data)
        return imported[text]

    # moto's user pool reads `jwk.RSAKey.import_key` through its module's name `jwk`, once
    models.jwk = SimpleNamespace(RSAKey=SimpleNamespace(import_key=key_of))  # type: ignore[assignment]
