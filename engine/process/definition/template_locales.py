"""Document templates of a procedure come per language: ``decret.ca.html`` has its ``decret.es.html``."""

from __future__ import annotations

import re
from collections.abc import Mapping

DOCUMENT_LOCALES = ("ca", "es")
LOCALE_VARIANT = re.compile(r"^(?P<stem>.+)\.(?P<locale>[a-z]{2})\.html$")


def locale_variant(templates: Mapping[str, str], name: str, locale: str) -> str:
    """``name``'s sibling in ``locale`` when there is one (``decret.ca.html`` -> ``decret.es.html``)."""
    match = LOCALE_VARIANT.match(name)
    if match:
        variant = f"{match['stem']}.{locale}.html"
        if variant in templates:
            return variant
    return name
