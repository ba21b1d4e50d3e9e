"""What a citizen filed, as the lines a clerk reads beside the task: each field's words and its
value written the reader's way (a choice by its label, "3.800,00" for a number kept to the cent,
a date with its month in words, yes or no), never the codes, floats and ISO strings the process
keeps. The unit stays in the field's words ("Pressupost (€)", "Superfície (m²)"). What the e-office
adds beside the form's fields (facts of a chosen item, e.g. a grant call's publication date) has no
schema: an ISO day there is written as a date too."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal

from engine.base.formats import format_day, plain
from engine.base.i18n import _l
from engine.citizens.procedures import filed_form
from engine.process.definition.sidecar import PROCESSES_DIR
from engine.process.models import ProcessModel

#: ``multipleOf`` of a number kept to the cent (an amount in euros, examples/README.md section 2; m²).
CENT = Decimal("0.01")
TO_THE_CENT = "#,##0.00"
#: An ISO calendar day, as the e-office stores the facts it adds (not form fields: no ``format``).
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written(prop: Mapping[str, Any], value: Any, locale: str) -> str:
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, int | float):
        cents = Decimal(str(prop.get("multipleOf", 0))) == CENT
        return plain(format_decimal(value, TO_THE_CENT if cents else None, locale=locale))
    if isinstance(value, str) and (prop.get("format") == "date" or (not prop and ISO_DAY.fullmatch(value))):
        try:
            return format_day(value, locale)
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def filed_lines(
    model: ProcessModel, filed: Mapping[str, Any], locale: str, processes_dir: Path = PROCESSES_DIR
) -> list[tuple[str, str]]:
    """(words, value) of each field filed with a value, in the order the citizen filled them."""
    form = filed_form(model, locale, processes_dir)
    labels, properties = form.labels, form.properties
    lines = []
    for key, value in filed.items():
        if value is None or value == "":
            continue
        prop = properties.get(key)
        choice = labels.get(f"{key}={value}")
        text = choice if choice is not None else _written(prop if isinstance(prop, Mapping) else {}, value, locale)
        lines.append((labels.get(key, key), text))
    return lines


__all__ = ["filed_lines"]
