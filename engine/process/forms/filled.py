"""The filled fields of a form's data that a rule is about, wherever they are: top level, inside objects,
in every row of an array; each with its path (``rows/2/nif``) for an error beside that row's field."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


def filled_fields(
    schema: Mapping[str, Any], data: Any, wanted: Callable[[Mapping[str, Any]], bool], path: str = ""
) -> Iterator[tuple[str, Mapping[str, Any], Any]]:
    """(path, field schema, value) of every field of ``schema`` for which ``wanted(field schema)`` holds
    and ``data`` has a value."""
    if not isinstance(data, Mapping):
        return
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping) or key not in data:
            continue
        value, here = data[key], f"{path}{key}"
        if wanted(prop):
            yield here, prop, value
        elif prop.get("type") == "array" and isinstance(prop.get("items"), Mapping) and isinstance(value, list):
            for index, row in enumerate(value):
                yield from filled_fields(prop["items"], row, wanted, f"{here}/{index}/")
        elif prop.get("type") == "object":
            yield from filled_fields(prop, value, wanted, f"{here}/")
