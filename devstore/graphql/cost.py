"""Calculated query cost, as Shopify documents it for the GraphQL Admin API.

Requested cost is computed from the document before execution: scalars and enums 0, objects 1,
an abstract type the most expensive of its possible selections, a connection 2 plus `first`/`last`
times the cost of one item, a mutation field 10. Actual cost is computed from what came back:
connections are charged for the items they returned, null objects for nothing.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.type.definition import GraphQLInterfaceType

MUTATION_COST = 10
CONNECTION_BASE_COST = 2
# Shopify refuses a connection asked for without a page size, with this message.
MISSING_PAGE_SIZE = "you must provide one of first or last"


def _own_cost(named: GraphQLNamedType) -> int:
    # Edges and PageInfo are bookkeeping: the node inside an edge carries the object's cost.
    if named.name.endswith("Edge") or named.name == "PageInfo":
        return 0
    return 1


def _is_connection(named: GraphQLNamedType) -> bool:
    return named.name.endswith("Connection")


def _is_list(output: GraphQLOutputType) -> bool:
    inner = output.of_type if isinstance(output, GraphQLNonNull) else output
    return isinstance(inner, GraphQLList)


class QueryCost:
    """Cost calculator for one operation of one document."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variables = variables

    @property
    def is_mutation(self) -> bool:
        return self.operation.operation == OperationType.MUTATION

    def _root(self) -> GraphQLObjectType:
        root = self.schema.mutation_type if self.is_mutation else self.schema.query_type
        if root is None:
            raise ValueError("schema lacks the operation's root type")
        return root

    def _field_def(self, parent: GraphQLNamedType, node: FieldNode) -> GraphQLField | None:
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = parent.fields.get(node.name.value)
            return found
        return None

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def _page_size(self, node: FieldNode) -> int:
        for name in ("first", "last"):
            value = self._argument(node, name)
            if isinstance(value, int) and value > 0:
                return value
        return 1

    # -- page sizes ---------------------------------------------------------------------------

    def unpaginated(self) -> list[GraphQLError]:
        """One error per connection field asked for without `first` or `last`, located and
        with its response path, as Shopify answers them."""
        found: list[GraphQLError] = []
        self._find_unpaginated(self._root(), self.operation.selection_set, [], found)
        return found

    def _find_unpaginated(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode | None,
        path: list[str | int],
        found: list[GraphQLError],
    ) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = self._field_def(parent, selection)
                if field is None:
                    continue
                key = selection.alias.value if selection.alias else selection.name.value
                named = get_named_type(field.type)
                here = [*path, key]
                if _is_connection(named) and self._page_size_given(selection) is None:
                    found.append(GraphQLError(MISSING_PAGE_SIZE, nodes=[selection], path=here))
                self._find_unpaginated(named, selection.selection_set, here, found)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                target = self._fragment_type(parent, condition)
                self._find_unpaginated(target, selection.selection_set, path, found)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self._fragment_type(parent, fragment.type_condition.name.value)
                    self._find_unpaginated(target, fragment.selection_set, path, found)

    def _page_size_given(self, node: FieldNode) -> int | None:
        for name in ("first", "last"):
            value = self._argument(node, name)
            if isinstance(value, int):
                return value
        return None

    # -- requested ----------------------------------------------------------------------------

    def requested(self) -> int:
        root = self._root()
        if self.is_mutation:
            return sum(
                MUTATION_COST
                for node in self._fields(root, self.operation.selection_set)
                if node.name.value != "__typename"
            )
        return self._requested_selection(root, self.operation.selection_set, 1)

    def _fields(self, parent: GraphQLNamedType, selection_set: SelectionSetNode) -> list[FieldNode]:
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found.extend(self._fields(parent, selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    found.extend(self._fields(parent, fragment.selection_set))
        return found

    def _fragment_type(self, parent: GraphQLNamedType, condition: str | None) -> GraphQLNamedType:
        if condition is None:
            return parent
        return self.schema.get_type(condition) or parent

    def _requested_selection(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, size: int
    ) -> int:
        if selection_set is None:
            return 0
        common = 0
        per_type: dict[str, int] = {}
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                common += self._requested_field(parent, selection, size)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                inner = selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition = fragment.type_condition.name.value
                inner = fragment.selection_set
            else:  # pragma: no cover - no other selection kinds exist
                continue
            target = self._fragment_type(parent, condition)
            cost = self._requested_selection(target, inner, size)
            if target.name == parent.name:
                common += cost
            else:
                per_type[target.name] = per_type.get(target.name, 0) + cost
        return common + max(per_type.values(), default=0)

    def _requested_field(self, parent: GraphQLNamedType, node: FieldNode, size: int) -> int:
        field = self._field_def(parent, node)
        if field is None:
            return 0
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 0
        if _is_connection(named):
            return CONNECTION_BASE_COST + self._requested_selection(
                named, node.selection_set, self._page_size(node)
            )
        per_item = _own_cost(named) + self._requested_selection(named, node.selection_set, 1)
        return per_item * size if _is_list(field.type) else per_item

    # -- actual -------------------------------------------------------------------------------

    def actual(self, data: dict[str, Any] | None) -> int:
        if data is None:
            return 0
        root = self._root()
        if self.is_mutation:
            return sum(
                MUTATION_COST
                for node in self._fields(root, self.operation.selection_set)
                if node.name.value != "__typename"
            )
        return self._actual_selection(root, self.operation.selection_set, data, set())

    def _actual_selection(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode | None,
        value: dict[str, Any],
        charged: set[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                if key in charged or key not in value:
                    continue
                charged.add(key)
                total += self._actual_field(parent, selection, value[key])
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                target = self._fragment_type(parent, condition)
                total += self._actual_selection(target, selection.selection_set, value, charged)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self._fragment_type(parent, fragment.type_condition.name.value)
                    total += self._actual_selection(target, fragment.selection_set, value, charged)
        return total

    def _actual_field(self, parent: GraphQLNamedType, node: FieldNode, value: Any) -> int:
        field = self._field_def(parent, node)
        if field is None or value is None:
            return 0
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 0
        if isinstance(value, list):
            return sum(self._actual_object(named, node, item) for item in value if item is not None)
        if _is_connection(named) and isinstance(value, dict):
            return CONNECTION_BASE_COST + self._actual_selection(
                named, node.selection_set, value, set()
            )
        return self._actual_object(named, node, value)

    def _actual_object(self, named: GraphQLNamedType, node: FieldNode, value: Any) -> int:
        if not isinstance(value, dict):
            return 0
        own = _own_cost(named)
        if is_abstract_type(named):
            concrete = value.get("__typename")
            if isinstance(concrete, str):
                named = self.schema.get_type(concrete) or named
        return own + self._actual_selection(named, node.selection_set, value, set())
