"""moto 5.2.5's DynamoDB UpdateExpression validation, the same walk at a fraction of its cost.

Every Update (alone or in a transaction) is validated by ten processors, each a depth-first
walk of the expression's tree that asks, at every node, `isinstance` of moto's node classes
(abstract base classes: each check goes through ABCMeta) and builds the processor's map of
node classes anew. Two of them (the action count and overlapping-path checks) apply to every
UpdateExpression node, each clause included, and list the tree's clauses again each time
(`find_clauses`, more `isinstance` of ABCs). For the send ledger's four-attribute SET and its
counter's ADD, that was over a thousand ABC checks per Update: a sixth of `inbound up`'s CPU
in a burst.

Three of the walks only check the expression and change nothing: the action count, the
overlapping paths (with the attribute names) and the key attributes (with the names and the
table's keys). An expression that passed them is not walked by them again for the same
names and keys (moto_speed parses each expression once: its tree's pickle names it); one
that failed is walked again, and fails again, each time.

The walks here are moto's own (same order, same hooks, same processors called on the same
nodes, same replacement of each processed node in its parent); only the class questions are
answered from a table (by the node's type: moto's node classes register no virtual
subclasses, so `isinstance` is `issubclass` of the type) and each processor's classes are
read once per processor class (moto's maps are literals: their keys never change).
"""

from __future__ import annotations

from typing import Any

_SUBCLASS: dict[tuple[type, Any], bool] = {}  # (a type, a class or a tuple of them) -> issubclass
_KINDS: dict[type, tuple[type, ...]] = {}  # a processor class -> the node classes it processes
_PASSED: set[tuple[Any, ...]] = set()  # (checker class, expression's pickle, its other inputs)
_MAX_PASSED = 4096
_installed = False


def _is(cls: type, kinds: Any) -> bool:
    key = (cls, kinds)
    known = _SUBCLASS.get(key)
    if known is None:
        known = _SUBCLASS[key] = issubclass(cls, kinds)
    return known


def install() -> None:
    """Patch moto's DynamoDB expression walks in this process (idempotent)."""
    global _installed
    if _installed:
        return
    _walks_by_type()
    _checks_passed_once()
    _installed = True


def _walks_by_type() -> None:
    from moto.dynamodb.parsing import ast_nodes as moto_nodes

    ast_nodes: Any = moto_nodes  # untyped in moto
    node_class, expression, function = (
        ast_nodes.Node,
        ast_nodes.Expression,
        ast_nodes.UpdateExpressionFunction,
    )

    def kinds_of(traverser: Any) -> tuple[type, ...]:
        kinds = _KINDS.get(type(traverser))
        if kinds is None:
            kinds = _KINDS[type(traverser)] = tuple(traverser.nodes_to_be_processed())
        return kinds

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        if _is(type(node), node_class):
            parent_node = node.parent
            if node.children is not None:
                for i, child_node in enumerate(node.children):
                    self.pre_processing_of_child(node, i)
                    self.traverse_node_recursively(child_node, i)
            if _is(type(node), kinds_of(self)):
                node = self.process(node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
        return node

    def find_clauses(self: Any, clause_types: Any) -> list[Any]:
        clauses = []
        for child in self.children or []:
            if type(child) in clause_types:
                clauses.append(child)
            elif _is(type(child), expression) or _is(type(child), function):
                clauses.extend(child.find_clauses(clause_types))
        return clauses

    ast_nodes.DepthFirstTraverser.traverse_node_recursively = traverse_node_recursively
    node_class.find_clauses = find_clauses


def _checks_passed_once() -> None:
    from moto.dynamodb.parsing import validators

    from inbound.local.moto_speed import tree_pickle

    def names(checker: Any) -> frozenset[Any]:
        return frozenset((checker.expression_attribute_names or {}).items())

    inputs = {  # a checker that changes nothing -> what, besides the expression, it reads
        validators.ActionCountValidator: lambda checker: (),
        validators.OverlappingPathsValidator: names,
        validators.UpdateHashRangeKeyValidator: lambda checker: (
            names(checker),
            tuple(checker.table_key_attributes),
        ),
    }
    init = validators.Validator.__init__

    def remembering_source(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        init(self, expression, *args, **kwargs)
        self.source_pickle = tree_pickle(expression)

    def validate(self: Any) -> Any:
        node = self.node_to_validate
        for processor in self.processors:
            read = inputs.get(type(processor))
            key = (
                None
                if read is None or self.source_pickle is None
                else (type(processor), self.source_pickle, read(processor))
            )
            if key is not None and key in _PASSED:
                continue
            node = processor.traverse(node)
            if key is not None:
                if len(_PASSED) >= _MAX_PASSED:
                    _PASSED.clear()
                _PASSED.add(key)
        return node

    validators.Validator.__init__ = remembering_source  # type: ignore[method-assign]
    validators.Validator.validate = validate  # type: ignore[method-assign]
