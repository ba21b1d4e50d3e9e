"""Gapless numbers per (tenant, series, year): expedients, registry entries, decrees.

The counter row is incremented with ``UPDATE … RETURNING`` inside the caller's transaction,
which takes the row's write lock on PostgreSQL and the database write lock on SQLite: a
second transaction waits until the first commits or rolls back, so a number is never
handed out twice and a rolled-back transaction gives its number back.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint, update
from sqlalchemy.orm import Mapped, mapped_column

from engine.base.db import db


class Counter(db.Model):  # type: ignore[name-defined]
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("tenant_id", "series", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, index=True)
    series: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer, default=0)


def _insert_ignore(**values: object) -> None:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    db.session.execute(insert(Counter).values(**values).on_conflict_do_nothing())


def next_number(tenant_id: int, series: str, year: int) -> int:
    """Allocate the next number of a series; the caller's transaction owns it until commit."""
    stmt = (
        update(Counter)
        .where(Counter.tenant_id == tenant_id, Counter.series == series, Counter.year == year)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    number = db.session.execute(stmt).scalar_one_or_none()
    if number is None:
        _insert_ignore(tenant_id=tenant_id, series=series, year=year, value=0)
        number = db.session.execute(stmt).scalar_one()
    return int(number)
