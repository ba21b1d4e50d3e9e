"""The schema comes from Alembic migrations, and they agree with the models."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from engine.app import init_migrations
from engine.base.db import db
from tests.conftest import _TMP, settings_for_tests
from tests.services import throwaway_postgres_database


@contextmanager
def empty_database() -> Iterator[str]:
    """A brand-new empty database of the kind under test (PostgreSQL when DATABASE_URL says so)."""
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        with throwaway_postgres_database("gee_migr") as url:
            yield url
    else:
        yield f"sqlite:///{_TMP / f'migr-{uuid.uuid4().hex[:8]}.sqlite3'}"


def test_one_command_brings_an_empty_database_to_head_matching_the_models():
    from webapp import create_app

    with empty_database() as url:
        settings = dataclasses.replace(settings_for_tests(), database_url=url)
        app = create_app(settings)
        init_migrations(app)
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
                tables = set(sa.inspect(conn).get_table_names())
            db.engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {"tenants", "users", "process_instances", "human_tasks", "audit_events"} <= tables


def test_migrating_inside_a_running_process_leaves_its_request_log_on():
    """Alembic reads its logging section on every run; it must not switch off the loggers GEE set
    up before (the request log went silent for the rest of the process)."""
    import logging

    from webapp import create_app
    from webapp.logging_setup import request_log

    with empty_database() as url:
        app = create_app(dataclasses.replace(settings_for_tests(), database_url=url))
        init_migrations(app)
        with app.app_context():
            upgrade()
            db.engine.dispose()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    request_log.addHandler(handler)
    try:
        app.test_client().get("/healthz")
    finally:
        request_log.removeHandler(handler)
    assert [r.fields["route"] for r in records] == ["/healthz"]  # type: ignore[attr-defined]
