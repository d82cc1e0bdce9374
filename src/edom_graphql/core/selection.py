"""Looking ahead at what a query selects below a field (fragments included)."""

from __future__ import annotations

from collections.abc import Iterable

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionNode

from edom_graphql.core.context import AppInfo


def _children(
    selections: Iterable[SelectionNode], name: str, info: AppInfo, found: list[FieldNode]
) -> list[FieldNode]:
    for selection in selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _children(selection.selection_set.selections, name, info, found)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info._raw_info.fragments.get(selection.name.value)
            if fragment is not None:
                _children(fragment.selection_set.selections, name, info, found)
    return found


def selects(info: AppInfo, *paths: tuple[str, ...]) -> bool:
    """Whether the current field's selection contains any of ``paths`` (field names).

    Reads the query's own syntax tree; directives such as ``@skip`` are not
    evaluated, so the answer may be a harmless "yes" for a skipped field.
    """
    for path in paths:
        level: list[FieldNode] = list(info._raw_info.field_nodes)
        for name in path:
            found: list[FieldNode] = []
            for node in level:
                if node.selection_set is not None:
                    _children(node.selection_set.selections, name, info, found)
            level = found
            if not level:
                break
        else:
            return True
    return False
