"""Many rows written in one statement: for batches (hundreds of timers fired at once).

On PostgreSQL the rows travel as one JSON document and the statement reads them back with
``json_to_recordset()``: ``INSERT … SELECT … FROM json_to_recordset(…)`` and ``UPDATE … FROM
json_to_recordset(…)``. The server parses, plans and runs one statement instead of one per row
(what an executemany costs it, pipelined or not), and the driver sends one parameter that the
standard library's C encoder wrote (arrays, one per column, cost the driver more than that: each
string escaped in Python). Elsewhere (SQLite, one writer at a time and no round trips) the same
rows go as an executemany.

Every column name comes from the table's own metadata; values only ever travel as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import TextClause

from engine.base.db import db, is_postgresql

_DIALECT = postgresql.dialect()


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys: column names) into ``table``."""
    if not rows:
        return
    columns = tuple(rows[0])
    if not is_postgresql():
        db.session.execute(table.insert(), list(rows))
        return
    db.session.execute(_insert_sql(table, columns), _document(rows))


def update_rows(table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE the rows of ``table`` whose ``key`` column is each row's ``key`` value, setting the
    row's other keys (the same for every row) to its values."""
    if not rows:
        return
    columns = tuple(rows[0])
    if not is_postgresql():
        statement = table.update().where(table.c[key] == bindparam(f"{key}_key"))
        db.session.execute(statement, [{**{c: v for c, v in row.items() if c != key}, f"{key}_key": row[key]}
                                       for row in rows])  # fmt: skip
        return
    db.session.execute(_update_sql(table, key, columns), _document(rows))


def _document(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    return {"rows": document(rows)}


def document(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as one JSON text (timestamps in ISO 8601; a JSON column's value nested as it is)."""
    return json.dumps(rows, default=_iso, ensure_ascii=False)


def _iso(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not written in bulk")


def _recordset(table: Table, columns: tuple[str, ...], param: str) -> str:
    """``json_to_recordset`` typed like the table's columns (a JSON null is an SQL NULL)."""
    types = ", ".join(f"{name} {table.c[name].type.compile(_DIALECT)}" for name in columns)
    return f"json_to_recordset(CAST(:{param} AS JSON)) AS v({types})"


# Table and column names below come from the metadata; the rows are bound parameters.
# ruff: noqa: S608


def insert_sql(table: Table, columns: tuple[str, ...], param: str = "rows") -> str:
    """PostgreSQL: INSERT into ``table`` the rows of the JSON parameter ``param`` (see :func:`document`)."""
    names = ", ".join(columns)
    return f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {_recordset(table, columns, param)}"


@lru_cache(maxsize=32)
def _insert_sql(table: Table, columns: tuple[str, ...]) -> TextClause:
    return text(insert_sql(table, columns))


@lru_cache(maxsize=32)
def _update_sql(table: Table, key: str, columns: tuple[str, ...]) -> TextClause:
    assignments = ", ".join(f"{name} = v.{name}" for name in columns if name != key)
    return text(f"UPDATE {table.name} SET {assignments} FROM {_recordset(table, columns, 'rows')} "
                f"WHERE {table.name}.{key} = v.{key}")  # fmt: skip


__all__ = ["document", "insert_rows", "insert_sql", "update_rows"]
