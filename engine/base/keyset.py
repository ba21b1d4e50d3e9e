"""Keyset pagination ("the rows older than this id"): pages that rows added meanwhile do not shift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from engine.base.db import db

T = TypeVar("T")

#: Most rows one page holds.
PAGE_LIMIT = 100


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    rows: list[T]
    #: Pass it back as ``after`` for the next page; None on the last page.
    next_after: int | None


def keyset_page(stmt: Select[Any], id_column: InstrumentedAttribute[int], after: int | None,
                limit: int) -> KeysetPage[Any]:
    """One page of ``stmt``'s rows, newest (highest id) first, those below ``after`` when given."""
    stmt = stmt.order_by(id_column.desc()).limit(limit + 1)
    if after is not None:
        stmt = stmt.where(id_column < after)
    rows = list(db.session.execute(stmt).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return KeysetPage(rows, getattr(rows[-1], id_column.key) if more else None)
