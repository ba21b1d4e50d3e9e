"""Values read once per unit of work: the open-task badge of the top bar is the same count the
inbox lists under it, so one page need not ask the database twice.

A remembered value lives in the session's ``info`` and is forgotten at every flush, commit and
rollback: whatever changes the data also drops what was read before it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.base.db import db

T = TypeVar("T")

_KEY = "gee_request_memo"


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """The value remembered under ``key`` in this unit of work, computed (and kept) if none is."""
    memo: dict[Hashable, Any] = db.session.info.setdefault(_KEY, {})
    if key not in memo:
        memo[key] = compute()
    value: T = memo[key]
    return value


def remember(key: Hashable, value: object) -> None:
    """Keep ``value`` under ``key`` until the data can next change."""
    db.session.info.setdefault(_KEY, {})[key] = value


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_KEY, None)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget)
