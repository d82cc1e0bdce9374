"""Looking ahead at what a query selects below a field (fragments included)."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from edom_graphql.core.context import AppInfo


def _children(selections: Iterable[Selection], name: str) -> list[SelectedField]:
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                found.append(selection)
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            found.extend(_children(selection.selections, name))
    return found


def selects(info: AppInfo, *paths: tuple[str, ...]) -> bool:
    """Whether the current field's selection contains any of ``paths`` (field names)."""
    for path in paths:
        level = _children(info.selected_fields, info.field_name)
        for name in path:
            level = [child for field in level for child in _children(field.selections, name)]
            if not level:
                break
        else:
            return True
    return False
