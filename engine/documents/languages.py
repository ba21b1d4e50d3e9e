"""The language of a document a municipality sends: official documents are in Catalan or Spanish
(Ley 39/2015 art. 15), and the municipality's default language decides when the reader chose
neither (:mod:`engine.tenancy.languages`)."""

from __future__ import annotations

from engine.process.definition.template_locales import DOCUMENT_LOCALES
from engine.tenancy.models import Tenant


def document_locale_of(tenant: Tenant, chosen: str | None) -> str:
    """The official language (Catalan or Spanish) of a document the municipality sends: the one
    chosen for it, else the municipality's default, else Catalan (an English reader of a
    Spanish-speaking municipality gets Spanish)."""
    for locale in (chosen, tenant.default_locale):
        if locale in DOCUMENT_LOCALES:
            return str(locale)
    return DOCUMENT_LOCALES[0]
