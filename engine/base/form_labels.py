"""The words of a JSON Schema form (its title, each field's title and description) per language.

Catalan, the designer's language, stays in ``title`` and ``description``; a form and each of its
properties (rows of an array too) may carry the other languages beside them::

    "title": "Tipus d'obra",
    "x-labels": {"es": {"title": "Tipo de obra"}, "en": {"title": "Type of works", "description": "…"}}

A text missing in a language falls back to the Catalan one (then, for a field title, the key).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.base.settings import LOCALES

FORM_LABELS = "x-labels"
DEFAULT_LOCALE = "ca"
#: The parts of a form or field that people read.
TEXTS = ("title", "description")


def _translation(node: Mapping[str, Any], part: str, locale: str) -> str | None:
    """The ``part`` of ``node`` written for ``locale`` in its ``x-labels``, if any."""
    by_locale = node.get(FORM_LABELS)
    texts = by_locale.get(locale) if isinstance(by_locale, Mapping) else None
    text = str(texts.get(part) or "").strip() if isinstance(texts, Mapping) else ""
    return text or None


def form_text(node: Mapping[str, Any] | None, part: str, locale: str | None) -> str | None:
    """The ``part`` ("title" or "description") of a form or property ``node`` in ``locale``."""
    if not node:
        return None
    if (locale or DEFAULT_LOCALE) != DEFAULT_LOCALE and (text := _translation(node, part, str(locale))):
        return text
    return str(node[part]) if node.get(part) else None


def field_title(prop: Mapping[str, Any], key: str, locale: str | None) -> str:
    """What a field is called in ``locale``: its translated title, the Catalan one, or its key."""
    return form_text(prop, "title", locale) or key


def field_titles(schema: Mapping[str, Any] | None, locale: str | None) -> dict[str, str]:
    """Top-level field key -> title in ``locale``, for pages that list submitted data."""
    props = (schema or {}).get("properties") or {}
    return {str(key): field_title(prop, str(key), locale) for key, prop in props.items() if isinstance(prop, Mapping)}


def form_nodes(schema: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The form itself (path "") and every property, rows of arrays included (``rows/field``)."""
    if not path:
        yield "", schema
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        where = f"{path}{key}"
        yield where, prop
        items = prop.get("items")
        if isinstance(items, Mapping) and isinstance(items.get("properties"), Mapping):
            yield from form_nodes(items, f"{where}/")


def missing_labels(schema: Mapping[str, Any] | None) -> list[tuple[str, list[str]]]:
    """(path, languages) of each text of the form lacking a translation; path "" is the form."""
    missing = []
    for path, node in form_nodes(schema or {}):
        others = [locale for locale in LOCALES if locale != DEFAULT_LOCALE]
        lacking = [loc for loc in others if any(node.get(p) and not _translation(node, p, loc) for p in TEXTS)]
        if lacking:
            missing.append((path, lacking))
    return missing
