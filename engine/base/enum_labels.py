"""The words people see for the codes of a JSON Schema ``enum``.

A form property may carry ``"x-enum-labels": {"ca": {code: label}, "es": {...}, "en": {...}}``
beside its ``enum`` (the codes stay what the process reads; the labels are only shown). A label
missing in a language falls back to the Catalan one, then to the code itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENUM_LABELS = "x-enum-labels"
DEFAULT_LOCALE = "ca"


def enum_label(prop: Mapping[str, Any], value: Any, locale: str | None) -> str:
    """The label of ``value`` of the enum property ``prop`` in ``locale``."""
    by_locale = prop.get(ENUM_LABELS)
    if isinstance(by_locale, Mapping):
        for wanted in (locale or DEFAULT_LOCALE, DEFAULT_LOCALE):
            labels = by_locale.get(wanted)
            if isinstance(labels, Mapping) and labels.get(str(value)):
                return str(labels[str(value)])
    return str(value)
