"""Text that comes from outside: what PostgreSQL can store, and what a one-line name
may contain.

Every string a client sends, in the variables or as a literal in the document, is
checked before the operation runs (:class:`edom_graphql.core.limits.QueryLimits`): a
NUL character or an unpaired UTF-16 surrogate never reaches a ``text`` column. Names
(display names, full names, also those an identity provider puts in a token) are
further kept free of invisible characters: control and format characters (zero-width
joiners, bidirectional overrides), separators of lines and paragraphs.
"""

from __future__ import annotations

import re
import unicodedata

INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Control and format characters, lone surrogates, line and paragraph separators."""
_SPACES = re.compile(r"\s+")


def unstorable(text: str) -> str | None:
    """Why PostgreSQL could not store ``text`` (a NUL, a lone surrogate), or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired UTF-16 surrogate"
    return None


def has_invisible(text: str) -> bool:
    return any(unicodedata.category(ch) in INVISIBLE_CATEGORIES for ch in text)


def strip_invisible(text: str, *, max_length: int) -> str:
    """``text`` NFC-normalised with invisible characters dropped, runs of white space
    made one space, trimmed and cut to ``max_length``: for names from elsewhere that
    cannot be refused (a token's claims)."""
    normalised = unicodedata.normalize("NFC", text)
    kept = "".join(ch for ch in normalised if unicodedata.category(ch) not in INVISIBLE_CATEGORIES)
    return _SPACES.sub(" ", kept).strip()[:max_length].rstrip()


def unstorable_path(value: object, path: str) -> str | None:
    """The path of the first string in a JSON-like value that PostgreSQL could not store
    (``variables.input.body``), with why; None when every string is storable."""
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            problem = unstorable(item)
            if problem is not None:
                return f"`{where}` {problem}"
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and unstorable(key) is not None:
                    return f"a key of `{where}` {unstorable(key)}"
                stack.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}.{index}") for index, child in enumerate(item))
    return None


__all__ = [
    "INVISIBLE_CATEGORIES",
    "has_invisible",
    "strip_invisible",
    "unstorable",
    "unstorable_path",
]
