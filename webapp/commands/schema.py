"""A command run before ``gee db upgrade``: one line that says so, no traceback, and no empty
SQLite file left behind (the file is created by ``gee db upgrade``, not by a command that found
nothing in it).

:func:`guarded` runs a command's body: while it runs, opening a SQLite database whose file does
not exist is refused before SQLite creates it, and a "no such table" from a database that has no
tables at all becomes :class:`SchemaMissing`. SQLAlchemy is imported when a command runs, not
when ``gee --help`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.base.i18n import _l

T = TypeVar("T")

commands: list[click.Command] = []

#: Whether a guarded command is running (``gee db upgrade`` must still create the file).
_guarding: ContextVar[bool] = ContextVar("gee_cli_schema_guard", default=False)


class SchemaMissing(Exception):
    """The database has no tables yet (or its SQLite file does not exist)."""


def database_label(url: Any) -> str:
    """The database URL to print, without its password."""
    from sqlalchemy.engine import URL, make_url

    parsed = make_url(url)
    bare = URL.create(parsed.drivername, username=parsed.username, host=parsed.host, port=parsed.port,
                      database=parsed.database, query=parsed.query)
    return bare.render_as_string(hide_password=False)


def missing_schema_message(url: Any) -> str:
    return str(_l("The database has no tables yet: run `gee db upgrade` first (database: %(url)s).",
                  url=database_label(url)))


def _refuse_missing_file(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    """SQLAlchemy ``do_connect``: inside a guarded command, a SQLite file that does not exist is
    not created."""
    if not _guarding.get() or dialect.name != "sqlite" or cparams.get("uri") or not cargs:
        return
    database = str(cargs[0])
    if database and database != ":memory:" and not database.startswith("file:") and not Path(database).exists():
        raise SchemaMissing


def _install(engine: Any) -> None:
    from sqlalchemy import event

    if not event.contains(engine, "do_connect", _refuse_missing_file):
        event.listen(engine, "do_connect", _refuse_missing_file)


def _has_no_tables(engine: Any) -> bool:
    from sqlalchemy import inspect

    try:
        return not inspect(engine).get_table_names()
    except Exception:  # the database cannot even be asked: the original error says more
        return False


@contextmanager
def _guard() -> Iterator[None]:
    token = _guarding.set(True)
    try:
        yield
    finally:
        _guarding.reset(token)


def guarded(callback: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``callback`` in the application context; :class:`SchemaMissing` when it needs the
    schema and the database has none."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from engine.base.db import db

    engine = db.engine
    _install(engine)
    try:
        with _guard():
            return callback(*args, **kwargs)
    except SchemaMissing:
        raise
    except (OperationalError, ProgrammingError) as err:
        if isinstance(err.orig, SchemaMissing):
            raise SchemaMissing from None
        if _has_no_tables(engine):
            raise SchemaMissing from None
        raise
