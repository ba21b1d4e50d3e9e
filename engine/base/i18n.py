"""Translation helpers usable outside a request (CLI, worker): Catalan is the default."""

from __future__ import annotations

from typing import Any

from flask import has_app_context
from flask_babel import force_locale, gettext, lazy_gettext, ngettext

from engine.base.settings import LOCALES

_ = gettext
_l = lazy_gettext


def in_every_language(lazy: Any, prefix: str = "") -> dict[str, str] | None:
    """``lazy`` (a ``_l`` message) rendered in each language GEE speaks, for a text stored now and
    read later by someone else (None for a plain string, or outside an application)."""
    if isinstance(lazy, str) or not has_app_context():
        return None
    out = {}
    for locale in LOCALES:
        with force_locale(locale):
            out[locale] = prefix + str(lazy)
    return out


__all__ = ["_", "_l", "gettext", "in_every_language", "lazy_gettext", "ngettext"]
