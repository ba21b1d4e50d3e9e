"""The human-task projection's changes, written with Core statements built once, not through the ORM.

Opening and closing the rows through the session's unit of work (a flush with its change
tracking, identity bookkeeping and statements built per call) cost about an eighth of an API
completion's CPU. A save gathers what changes as :class:`RowChanges`; :func:`write` sends an
UPDATE for the rows that close (whose loaded objects are set to what was written, so the
session has nothing left to flush for them) and an INSERT … RETURNING id for the rows that
open, answered as :class:`OpenedTask` values rather than session objects (whoever needs the
row reads it). On PostgreSQL the same changes travel inside the state's own write
(:mod:`engine.process.instances.state_write`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm.attributes import set_committed_value

from engine.base.db import db
from engine.process.models import HumanTask


@dataclass(frozen=True)
class OpenedTask:
    """A human-task row just inserted: what the answer and the waiting-task announcements read."""

    id: int
    task_uuid: str
    element_id: str
    name: str
    role: str | None
    form_key: str | None
    due_at: datetime | None
    assignee_id: int | None = None


_table = HumanTask.__table__
_INSERT = _table.insert().returning(_table.c.id, sort_by_parameter_order=True)
_COMPLETE = _table.update().where(_table.c.id == bindparam("row_id")).values(
    state="completed", completed_at=bindparam("at"), completed_by_id=bindparam("by"))  # fmt: skip
_CANCEL = (
    _table.update().where(_table.c.id == bindparam("row_id")).values(state="cancelled", completed_at=bindparam("at"))
)


#: The columns of an opened row, in the order every caller gives them.
OPENED_COLUMNS = ("tenant_id", "instance_id", "expedient_id", "process_model_id", "task_uuid", "element_id", "name",
                  "lane", "role", "unit", "potential_owners", "state", "form_key", "created_at", "due_at")  # fmt: skip


@dataclass
class RowChanges:
    """What one save changes in an instance's human-task rows: loaded rows that close (completed
    by ``completed_by_id``, or cancelled) at ``at``, and the column values of the rows to open."""

    at: datetime
    completed_by_id: int | None
    completed: list[HumanTask]
    cancelled: list[HumanTask]
    opened: list[dict[str, Any]]

    def written(self, ids: Sequence[int]) -> list[OpenedTask]:
        """Once written (``ids``: the opened rows' ids, in order): the loaded rows set to what was
        written, so the session has nothing left to flush for them, and the opened rows."""
        for row in self.completed:
            _written(row, state="completed", completed_at=self.at, completed_by_id=self.completed_by_id)
        for row in self.cancelled:
            _written(row, state="cancelled", completed_at=self.at)
        return [
            OpenedTask(id=row_id, task_uuid=row["task_uuid"], element_id=row["element_id"], name=row["name"],
                       role=row["role"], form_key=row["form_key"], due_at=row["due_at"])
            for row_id, row in zip(ids, self.opened, strict=True)
        ]  # fmt: skip


def write(changes: RowChanges) -> list[OpenedTask]:
    """Close and open the rows, one statement each (see :mod:`state_write` for all in one)."""
    if changes.completed:
        db.session.execute(_COMPLETE, [{"row_id": row.id, "at": changes.at, "by": changes.completed_by_id}
                                       for row in changes.completed])  # fmt: skip
    if changes.cancelled:
        db.session.execute(_CANCEL, [{"row_id": row.id, "at": changes.at} for row in changes.cancelled])
    ids = db.session.execute(_INSERT, changes.opened).scalars().all() if changes.opened else []
    return changes.written(ids)


def _written(row: HumanTask, **values: Any) -> None:
    for name, value in values.items():
        set_committed_value(row, name, value)


__all__ = ["OPENED_COLUMNS", "OpenedTask", "RowChanges", "write"]
