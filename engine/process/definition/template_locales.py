"""Document templates of a procedure come per language: ``decret.ca.html`` has its ``decret.es.html``."""

from __future__ import annotations

import re
from collections.abc import Mapping

DOCUMENT_LOCALES = ("ca", "es")
LOCALE_VARIANT = re.compile(r"^(?P<stem>.+)\.(?P<locale>[a-z]{2})\.html$")


def document_locale(locale: str | None) -> str:
    """The language a document for a reader of ``locale`` is written in: official documents are in
    Catalan or Spanish, so an English reader gets the Catalan one (dates and amounts included)."""
    return locale if locale in DOCUMENT_LOCALES else DOCUMENT_LOCALES[0]


def variant_locale(name: str) -> str | None:
    """The language a template file is written in, from its name (``decret.es.html`` -> ``es``)."""
    match = LOCALE_VARIANT.match(name)
    return match["locale"] if match else None


def locale_variant(templates: Mapping[str, str], name: str, locale: str) -> str:
    """``name``'s sibling in ``locale`` when there is one (``decret.ca.html`` -> ``decret.es.html``)."""
    match = LOCALE_VARIANT.match(name)
    if match:
        variant = f"{match['stem']}.{locale}.html"
        if variant in templates:
            return variant
    return name
