"""Sample data for a form, generated from its JSON Schema so that the form accepts it.

Per field, the first that applies: ``const``, ``default``, the first of ``examples``, the first
``enum`` value; else a value of its type that respects its format and bounds: a valid NIF for
``nif``, a valid referència cadastral, today for ``date``, a document of the expedient for a
document field (or a list of integers), ``minimum``/``multipleOf`` for numbers, ``minItems``
for lists. Every field is filled, required or not, so the path the designer sees is the full one.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

#: Valid sample values of the formats a form may ask for.
SAMPLE_NIF = "12345678Z"
SAMPLE_CADASTRAL_REFERENCE = "4A08169P03PRAT0001LR"
_FORMAT_SAMPLES = {
    "nif": SAMPLE_NIF,
    "cadastral-reference": SAMPLE_CADASTRAL_REFERENCE,
    "email": "persona@example.org",
    "uri": "https://example.org/",
    "iri": "https://example.org/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "time": "10:00:00+01:00",
}
SAMPLE_TEXT = "Text de prova"


def sample_data(schema: Any, *, today: date, document_id: int | None) -> dict[str, Any]:
    """A value for every field of an object schema (``{}`` for none)."""
    value = sample_value(schema, today=today, document_id=document_id)
    return value if isinstance(value, dict) else {}


def sample_value(schema: Any, *, today: date, document_id: int | None) -> Any:
    """A value ``schema`` accepts (see the module docstring)."""
    if not isinstance(schema, dict):
        return None
    for keyword in ("const", "default"):
        if keyword in schema:
            return schema[keyword]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for keyword in ("oneOf", "anyOf"):
        if isinstance(schema.get(keyword), list) and schema[keyword]:
            return sample_value(schema[keyword][0], today=today, document_id=document_id)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
        return {name: sample_value(prop, today=today, document_id=document_id)
                for name, prop in (schema.get("properties") or {}).items()}  # fmt: skip
    if kind == "array":
        items: dict[str, Any] = schema["items"] if isinstance(schema.get("items"), dict) else {}
        if items.get("type") == "integer" and document_id is not None:  # document ids: the sample document
            return [document_id]
        count = int(schema.get("minItems", 1) or 0)
        return [sample_value(items, today=today, document_id=document_id) for _ in range(count)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        if schema.get("format") == "document" and document_id is not None:
            return document_id
        return _number(schema, integer=kind == "integer")
    if kind == "string" or kind is None:
        return _string(schema, today)
    return None


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum")
    if low is None and schema.get("exclusiveMinimum") is not None:
        low = schema["exclusiveMinimum"] + (1 if integer else 0.01)
    value: float = float(low) if low is not None else 100.0
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = math.ceil(value / step - 1e-9) * step
        value = round(value, 2) if step < 1 else value
    high = schema.get("maximum")
    if high is not None and value > high:
        value = float(high)
    return int(value) if integer else value


def _string(schema: dict[str, Any], today: date) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return today.isoformat()
    if fmt == "date-time":
        return datetime.combine(today, datetime.min.time()).replace(hour=10).isoformat() + "+01:00"
    if fmt in _FORMAT_SAMPLES:
        return _FORMAT_SAMPLES[fmt]
    text = SAMPLE_TEXT
    low = int(schema.get("minLength", 0) or 0)
    if len(text) < low:
        text = text + "x" * (low - len(text))
    high = schema.get("maxLength")
    return text[: int(high)] if isinstance(high, int) else text


__all__ = ["SAMPLE_CADASTRAL_REFERENCE", "SAMPLE_NIF", "sample_data", "sample_value"]
