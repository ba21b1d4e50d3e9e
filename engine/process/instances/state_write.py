"""Writing a saved instance: its state (a compare-and-swap on ``version``), its human-task
rows and its completed steps.

On PostgreSQL the three go in one statement: data-modifying WITH queries, the closing rows
by id and the new ones as JSON read back with ``json_to_recordset`` (:mod:`engine.base.bulk_rows`).
The server parses, plans and answers once instead of four times, and SQLAlchemy and the
driver send one statement instead of four (about a tenth of an API completion's CPU in the
server). Elsewhere (SQLite: no data-modifying WITH, and no round trips to save) they go one by
one. Either way they are part of the caller's unit of work.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.sql.elements import TextClause

from engine.base.bulk_rows import document, insert_rows, insert_sql
from engine.base.clock import utcnow
from engine.base.db import db, is_postgresql
from engine.process.instances import human_task_rows
from engine.process.instances.human_task_rows import OPENED_COLUMNS, OpenedTask, RowChanges
from engine.process.instances.projection import STEP_COLUMNS
from engine.process.models import CompletedStep, HumanTask, ProcessInstance

_instances = ProcessInstance.__table__
#: The state written back with a compare-and-swap on ``version``: a Core statement built once (the
#: columns to set are the parameters given), so the ORM neither rebuilds it nor flushes for it.
_STATE_WRITE = _instances.update().where(_instances.c.id == bindparam("instance_id"),
                                         _instances.c.version == bindparam("expected"))  # fmt: skip


def write(
    instance_id: int, expected: int, values: dict[str, Any], rows: RowChanges | None, steps: list[dict[str, Any]]
) -> list[OpenedTask] | None:
    """Write the state ``values`` (``state_json``, ``version``, ``status``, ``updated_at`` and,
    when the instance completed now, ``completed_at``) if the stored version is still
    ``expected``, with the row changes and the completed steps. The rows opened, or None when
    the state moved on meanwhile (the caller's unit of work must then be redone)."""
    if is_postgresql():
        return _in_one_statement(instance_id, expected, values, rows, steps)
    opened = human_task_rows.write(rows) if rows is not None else []
    insert_rows(CompletedStep.__table__, steps)
    result = db.session.execute(_STATE_WRITE, {**values, "instance_id": instance_id, "expected": expected})
    return opened if result.rowcount == 1 else None  # type: ignore[attr-defined]


def _in_one_statement(
    instance_id: int, expected: int, values: dict[str, Any], rows: RowChanges | None, steps: list[dict[str, Any]]
) -> list[OpenedTask] | None:
    changes = rows if rows is not None else RowChanges(utcnow(), None, completed=[], cancelled=[], opened=[])
    params = {
        "completed_ids": [row.id for row in changes.completed], "cancelled_ids": [row.id for row in changes.cancelled],
        "at": changes.at, "by": changes.completed_by_id, "opened": document(changes.opened), "steps": document(steps),
        "instance_id": instance_id, "expected": expected, "completed_at": None, **values,
    }  # fmt: skip
    saved, opened = db.session.execute(_one_statement(), params).one()
    if not saved:
        return None
    ids = dict(opened or [])  # task uuid -> id of the rows just inserted
    return changes.written([ids[row["task_uuid"]] for row in changes.opened])


# Table and column names come from the metadata; every value is a bound parameter.
# ruff: noqa: S608


@cache
def _one_statement() -> TextClause:
    tasks, steps = HumanTask.__table__, CompletedStep.__table__
    return text(
        # The closing rows by id: an index scan whatever the planner guesses of a list's length. The
        # list goes through ARRAY(SELECT unnest(...)) so that no plan knows its length: a plan made for
        # these values is then no cheaper than the prepared statement's generic one, which PostgreSQL
        # keeps after five executions instead of planning the statement anew on every completion.
        "WITH completed AS (UPDATE human_tasks SET state = 'completed', completed_at = :at, completed_by_id = :by "
        "WHERE id = ANY(ARRAY(SELECT unnest(CAST(:completed_ids AS INTEGER[]))))), "
        "cancelled AS (UPDATE human_tasks SET state = 'cancelled', completed_at = :at "
        "WHERE id = ANY(ARRAY(SELECT unnest(CAST(:cancelled_ids AS INTEGER[]))))), "
        f"opened AS ({insert_sql(tasks, OPENED_COLUMNS, 'opened')} RETURNING id, task_uuid), "
        f"steps AS ({insert_sql(steps, STEP_COLUMNS, 'steps')}), "
        f"saved AS (UPDATE {_instances.name} SET state_json = :state_json, version = :version, status = :status, "
        "updated_at = :updated_at, "
        "completed_at = COALESCE(CAST(:completed_at AS TIMESTAMP WITH TIME ZONE), completed_at) "
        "WHERE id = :instance_id AND version = :expected RETURNING id) "
        "SELECT (SELECT count(*) FROM saved), (SELECT json_agg(json_build_array(task_uuid, id)) FROM opened)"
    )


__all__ = ["write"]
