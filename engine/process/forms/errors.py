"""Form data checked against a JSON Schema, with each problem said in the user's words.

One place for these messages: the engine uses them when a task is completed (web, API, CLI
alike), so every client shows the same sentence next to the same field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.base.i18n import _
from engine.process.forms.formats import FORMAT_CHECKER


@dataclass(frozen=True)
class FieldError:
    """A problem with one field: its path in the data (``a/0/b``) and what to do about it."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def _format_message(value: Any) -> str:
    formats = {
        "date": _("Enter a valid date (day, month and year)."),
        "email": _("Enter a valid e-mail address."),
        "nif": _("Enter a valid NIF, NIE or CIF: check the letter or digit at the end."),
        "cadastral-reference": _("Enter a valid cadastral reference (20 characters, check the last two letters)."),
    }
    return formats.get(str(value), _("The value does not have the expected format."))


def _type_message(value: Any) -> str:
    types = {
        "integer": _("Enter a whole number."),
        "number": _("Enter a number."),
        "string": _("Enter a text."),
        "boolean": _("Tick or untick the box."),
        "array": _("Add the rows as a list."),
        "object": _("Fill in the group of fields."),
    }
    return types.get(str(value), _("The value has the wrong type."))


def _limit_message(kind: str, n: Any) -> str | None:
    messages = {
        "minLength": lambda: _("Write at least %(n)s characters.", n=n),
        "maxLength": lambda: _("Write at most %(n)s characters.", n=n),
        "minimum": lambda: _("Enter %(n)s or more.", n=n),
        "maximum": lambda: _("Enter %(n)s or less.", n=n),
        "exclusiveMinimum": lambda: _("Enter more than %(n)s.", n=n),
        "exclusiveMaximum": lambda: _("Enter less than %(n)s.", n=n),
        "multipleOf": lambda: _("Enter a multiple of %(n)s.", n=n),
        "minItems": lambda: _("Add at least %(n)s rows.", n=n),
        "maxItems": lambda: _("Add at most %(n)s rows.", n=n),
    }
    make = messages.get(kind)
    return make() if make else None


def _lists_documents(schema: Any) -> bool:
    """An array of document ids (``items.format: document``): its limits count documents, not rows."""
    items = schema.get("items") if isinstance(schema, dict) else None
    return isinstance(items, dict) and items.get("format") == "document"


def describe(error: ValidationError) -> FieldError:
    """One jsonschema error as a FieldError in the current language."""
    path = "/".join(str(p) for p in error.absolute_path)
    kind, value = str(error.validator), error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return FieldError("/".join(p for p in (path, missing) if p), _("This field is required."))
    if kind == "format":
        return FieldError(path, _format_message(value))
    if kind == "type":
        return FieldError(path, _type_message(value))
    if kind == "enum":
        return FieldError(path, _("Choose one of the options."))
    if kind == "pattern":
        return FieldError(path, _("The value does not have the expected form."))
    if kind in ("minItems", "maxItems") and _lists_documents(error.schema):
        if kind == "minItems":
            return FieldError(path, _("Choose or attach more documents: at least %(n)s.", n=value))
        return FieldError(path, _("Choose fewer documents: at most %(n)s.", n=value))
    if kind == "additionalProperties":
        return FieldError(path, _("This form does not have some of the fields sent."))
    return FieldError(path, _limit_message(kind, value) or _("The value is not valid."))


def field_errors(schema: dict[str, Any], data: Any) -> list[FieldError]:
    """Every problem of ``data`` against ``schema``, formats included, ordered by field."""
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [describe(e) for e in errors]
