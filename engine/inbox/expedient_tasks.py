"""The tasks of an expedient, read from the projection rows (never from a workflow)."""

from __future__ import annotations

from typing import Any

from engine.base.clock import as_utc
from engine.base.context import Context
from engine.base.db import db
from engine.expedients.expedients import get_expedient
from engine.process.definition.task_labels import task_label
from engine.process.models import HumanTask
from engine.tenancy.scoping import scoped


def tasks_of_expedient(ctx: Context, expedient_id: int) -> list[HumanTask]:
    """Every task of an expedient's instances, pending and done, in the order they appeared."""
    expedient = get_expedient(ctx, expedient_id)
    stmt = scoped(HumanTask, ctx).where(HumanTask.expedient_id == expedient.id).order_by(HumanTask.id)
    return list(db.session.execute(stmt).scalars())


def _iso(value: Any) -> str | None:
    moment = as_utc(value)
    return moment.isoformat() if moment else None


def task_dict(task: HumanTask, locale: str | None) -> dict[str, Any]:
    """A task as JSON (API answers), its name in ``locale`` (the caller's Accept-Language)."""
    return {
        "id": task.id,
        "name": task_label(task, locale),
        "element_id": task.element_id,
        "state": task.state,
        "role": task.role,
        "unit": task.unit,
        "assignee_id": task.assignee_id,
        "expedient_id": task.expedient_id,
        "instance_id": task.instance_id,
        "form": task.form_key,
        "created_at": _iso(task.created_at),
        "due_at": _iso(task.due_at),
        "completed_at": _iso(task.completed_at),
    }
