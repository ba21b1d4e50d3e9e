"""Locale selection: the user's choice (session), then the browser, then Catalan."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale, refresh

from engine.app import LANGUAGES
from engine.audit.labels import action_label
from engine.base.settings import current_settings
from engine.process.definition.sidecar import procedure_label
from engine.process.definition.task_labels import task_label
from engine.tenancy.models import role_label


def select_locale() -> str:
    if not has_request_context():
        return current_settings().default_locale  # CLI, worker
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "ca"


def init_app(app: Flask) -> None:
    app.extensions["babel"].locale_selector = select_locale
    # Flask-Babel caches the locale on ``g``, which an app context shared by several requests
    # (CLI, tests) would carry from one request to the next: choose afresh for each request.
    app.before_request(refresh)
    app.teardown_request(lambda _exc: refresh())
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["audit_action_label"] = action_label
    app.jinja_env.globals["task_label"] = lambda task: task_label(task, str(get_locale()))
    app.jinja_env.globals["procedure_label"] = lambda model: procedure_label(model.key, model.name, str(get_locale()))
