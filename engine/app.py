"""A bare Flask application carrying the database and settings.

The web app builds on it (blueprints, sessions, CSRF); the worker and the CLI use it as is.
Flask-SQLAlchemy needs an application, but nothing here is about HTTP.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from engine import (
    models,  # noqa: F401  (registers every table)
    operators,  # noqa: F401  (registers the service operators)
)
from engine.base import (
    jobs,
    pool_check,  # noqa: F401  (replaces pooled connections the server closed)
)
from engine.base.catalan import ElidingBabel
from engine.base.db import db
from engine.base.settings import INSTANCE_DIR, LOCALES, PROJECT_ROOT, Settings

# Subscribers of engine.base.events: imported here so that no published event goes unheard.
from engine.bodies import signing  # noqa: F401

# The sources of e-office choices ("x-choices"), registered with engine.citizens.choices.
from engine.citizens import (
    grant_calls,  # noqa: F401
    request_document,  # noqa: F401
)
from engine.control import legal_terms  # noqa: F401
from engine.documents import task_form_fields  # noqa: F401
from engine.notifications import alerts  # noqa: F401
from engine.process.instances import tasks  # noqa: F401
from engine.signatures import circuits  # noqa: F401
from engine.webhooks import events as webhook_events  # noqa: F401

babel = ElidingBabel()
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
LANGUAGES = LOCALES


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, wait for locks instead of failing, allow concurrent reads."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


#: SpiffWorkflow's loggers. At INFO it logs every task state change; and while its workflow logger
#: has no level of its own (``logger.level`` below INFO, whatever its parents say) it lists every
#: task of a workflow that completes for the record, logged or not. GEE keeps what happened itself
#: (completed steps, the audit trail): a fired timer spent a tenth of its CPU on these records.
SPIFF_LOGGERS = ("spiff", "spiff.workflow", "spiff.task")


def _quiet_spiffworkflow() -> None:
    for name in SPIFF_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def create_engine_app(settings: Settings | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("gee", instance_path=str(INSTANCE_DIR), root_path=str(PROJECT_ROOT / "webapp"))
    app.config.update(
        GEE_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE="Europe/Madrid",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
    )
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    babel.init_app(app)
    _quiet_spiffworkflow()
    return app


def init_migrations(app: Flask) -> None:
    """Register Flask-Migrate on ``app``, once. Only the commands that migrate need it: Alembic
    costs more start-up time than Flask and SQLAlchemy together."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


jobs.use_app_factory(create_engine_app)
