"""Locale selection: the user's choice (session), then the browser, then Catalan."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale

from engine.app import LANGUAGES


def select_locale() -> str:
    if not has_request_context():
        return "ca"  # CLI, worker: the platform's default language
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "ca"


def init_app(app: Flask) -> None:
    app.extensions["babel"].locale_selector = select_locale
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
