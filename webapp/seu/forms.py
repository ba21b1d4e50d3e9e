"""A start form (JSON Schema) as accessible HTML fields, and the submitted values typed back."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

LONG_TEXT = 200


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text | textarea | email | date | number | integer | checkbox | select
    required: bool
    value: Any = None
    options: list[str] = field(default_factory=list)
    max_length: int | None = None
    error: str | None = None


def _kind(spec: dict[str, Any]) -> str:
    kind = spec.get("type")
    if spec.get("enum"):
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("number", "integer"):
        return str(kind)
    if spec.get("format") in ("email", "date"):
        return str(spec["format"])
    max_length = spec.get("maxLength")
    return "textarea" if max_length is None or max_length > LONG_TEXT else "text"


def fields_for(
    schema: dict[str, Any], labels: dict[str, str], values: dict[str, Any], errors: dict[str, str]
) -> list[Field]:
    required = set(schema.get("required") or [])
    out = []
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        out.append(
            Field(
                name=name,
                label=labels.get(name) or str(spec.get("title") or name),
                kind=_kind(spec),
                required=name in required,
                value=values.get(name),
                options=[str(o) for o in spec.get("enum") or []],
                max_length=spec.get("maxLength"),
                error=errors.get(name),
            )
        )
    return out


def typed_values(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """Form strings typed as the schema says; empty optional fields are left out."""
    data: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        raw = form.get(f"f_{name}")
        if kind == "boolean":
            data[name] = raw in ("on", "true", "1")
            continue
        if raw is None or raw.strip() == "":
            continue
        value: Any = raw.strip()
        if kind in ("number", "integer"):
            with contextlib.suppress(ValueError):  # else the schema check names the field
                value = int(value) if kind == "integer" else float(value.replace(",", "."))
        data[name] = value
    return data
