"""A municipality's default language (issue #19): the language its public pages speak unless the
reader chose another, and the one the documents it sends are written in when nobody chose
(:func:`engine.documents.languages.document_locale_of`).

A provincial platform serves Catalan-speaking and Spanish-speaking municipalities alike, so the
default is the tenant's, set by the platform administrator at creation and changed later by the
municipality's own administrators (:func:`engine.tenancy.admin.set_default_locale`, audited)."""

from __future__ import annotations

from sqlalchemy import select

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.base.settings import LOCALES
from engine.tenancy.models import Tenant

#: Each language by its own name, as a reader looks for it in a list.
LANGUAGE_NAMES = {"ca": "Català", "es": "Español", "en": "English"}


def check_default_locale(value: str | None) -> str:
    """A language GEE speaks (``ca``, ``es``, ``en``), or a translated refusal."""
    locale = (value or "").strip().lower()
    if locale not in LOCALES:
        raise ValidationFailed(
            _l("Unknown language %(value)s: choose Catalan, Spanish or English.", value=value or ""),
            field="default_locale",
        )
    return locale


def default_locale_of(code: str) -> str | None:
    """The default language of the active municipality with this code (its public pages' URL), if any."""
    return db.session.execute(
        select(Tenant.default_locale).where(Tenant.code == code, Tenant.active.is_(True))
    ).scalar_one_or_none()
