"""Saved reply bodies: `{variable}` placeholders, checked when saved, filled in when sent."""

from __future__ import annotations

import string
from collections.abc import Mapping

VARIABLES = ("author_name", "author_handle", "network")
_FORMATTER = string.Formatter()


def unknown_variables(body: str) -> list[str]:
    """Placeholders that are not VARIABLES, or a malformed-brace message; empty when valid."""
    try:
        fields = [name for _, name, _, _ in _FORMATTER.parse(body) if name is not None]
    except ValueError as error:
        return [str(error)]
    return sorted({name for name in fields if name not in VARIABLES})


def render(body: str, values: Mapping[str, str | None]) -> str:
    """Fill the placeholders; a missing author name falls back to the handle, then to nothing."""
    filled = {name: values.get(name) or "" for name in VARIABLES}
    if not filled["author_name"]:
        filled["author_name"] = filled["author_handle"]
    return body.format_map(filled).strip()
