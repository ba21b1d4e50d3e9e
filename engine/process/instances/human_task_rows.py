"""The human-task projection written with Core statements built once, not through the ORM.

Opening and closing the rows through the session's unit of work (a flush with its change
tracking, identity bookkeeping and statements built per call) cost about an eighth of an API
completion's CPU. The same two statements are sent here directly: an UPDATE for the rows
that close (whose loaded objects are set to what was written, so the session has nothing
left to flush for them) and an INSERT … RETURNING id for the rows that open, answered as
:class:`OpenedTask` values rather than session objects (whoever needs the row reads it).
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


def close(
    completed: Sequence[HumanTask], cancelled: Sequence[HumanTask], at: datetime, completed_by_id: int | None
) -> None:
    """Mark loaded rows completed (by ``completed_by_id``) or cancelled at ``at``."""
    if completed:
        db.session.execute(_COMPLETE, [{"row_id": row.id, "at": at, "by": completed_by_id} for row in completed])
    if cancelled:
        db.session.execute(_CANCEL, [{"row_id": row.id, "at": at} for row in cancelled])
    for row in completed:
        _written(row, state="completed", completed_at=at, completed_by_id=completed_by_id)
    for row in cancelled:
        _written(row, state="cancelled", completed_at=at)


def open_rows(values: Sequence[dict[str, Any]]) -> list[OpenedTask]:
    """Insert ready rows (column values, in order) in one statement; the rows as inserted."""
    if not values:
        return []
    ids = db.session.execute(_INSERT, list(values)).scalars().all()
    return [
        OpenedTask(id=row_id, task_uuid=row["task_uuid"], element_id=row["element_id"], name=row["name"],
                   role=row["role"], form_key=row["form_key"], due_at=row["due_at"])
        for row_id, row in zip(ids, values, strict=True)
    ]  # fmt: skip


def _written(row: HumanTask, **values: Any) -> None:
    for name, value in values.items():
        set_committed_value(row, name, value)


__all__ = ["OpenedTask", "close", "open_rows"]
