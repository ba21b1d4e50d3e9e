"""The dashboard's maintained figures: per tenant and month, expedients opened and closed; per tenant
and procedure, how many expedients are in each NTI state and how many closed ones took each number of
whole days.

Counting them from the expedients on every page view costs time in proportion to the municipality's
history (81 ms of SQL at 20,000 expedients); these tables hold O(months + procedures + distinct
durations) rows, so the dashboard reads the same few rows whatever the history. Mapper events write
them in the flush that inserts, closes, reopens, changes the state of or deletes an expedient (the
same transaction, whatever service did it), so they move and roll back with it. Writes that bypass
the ORM (bulk SQL loads) call :func:`rebuild` afterwards; ``gee figures check`` compares them with a
recount from the rows.

Months are Catalan calendar months; resolution days are whole days elapsed from opening to closing
(``floor((closed_at - opened_at) / 24 h)``). ``procedure_id`` and ``term_months`` use 0 for "none", so
both can be part of the primary key an upsert needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, ForeignKey, Integer, String, delete, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstanceState, Mapped, mapped_column

from engine.base.clock import as_utc, local_date
from engine.base.db import db
from engine.expedients.expedients import Expedient

DAY_SECONDS = 86400


class ExpedientMonth(db.Model):  # type: ignore[name-defined]
    """Expedients of a tenant opened and closed in one Catalan calendar month."""

    __tablename__ = "expedient_months"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    #: The first day of the month.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)


class ExpedientStates(db.Model):  # type: ignore[name-defined]
    """How many expedients of a tenant's procedure are in an NTI state (E01, E02, E03)."""

    __tablename__ = "expedient_states"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    #: The process model's id, 0 for expedients opened without a procedure.
    procedure_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(3), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ResolutionDays(db.Model):  # type: ignore[name-defined]
    """How many closed expedients of a tenant's procedure (with a legal term) took ``days`` whole days."""

    __tablename__ = "expedient_resolution_days"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    #: The process model's id, 0 for expedients opened without a procedure.
    procedure_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The legal term in months the expedients carried, 0 for none.
    term_months: Mapped[int] = mapped_column(Integer, primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


#: A counter of the figures (its kind, its key values) and how much it moves.
Tally = Counter[tuple[str, tuple[int | str | date, ...]]]


def month_of(moment: datetime) -> date:
    """The first day of the Catalan calendar month ``moment`` falls in."""
    return local_date(moment).replace(day=1)


def whole_days(opened_at: datetime, closed_at: datetime) -> int:
    """Whole days elapsed from opening to closing (what the resolution histogram counts)."""
    opened, closed = as_utc(opened_at), as_utc(closed_at)
    assert opened is not None and closed is not None
    return int((closed - opened).total_seconds() // DAY_SECONDS)


def contribution(tenant_id: int, opened_at: datetime | None, closed_at: datetime | None,
                 procedure_id: int | None, term_months: int | None, state: str | None) -> Tally:  # fmt: skip
    """What one expedient with these values adds to the figures."""
    tally: Tally = Counter()
    if opened_at is None:
        return tally
    if state is not None:
        tally["state", (tenant_id, procedure_id or 0, state)] += 1
    tally["opened", (tenant_id, month_of(opened_at))] += 1
    if closed_at is not None:
        tally["closed", (tenant_id, month_of(closed_at))] += 1
        key = (tenant_id, procedure_id or 0, term_months or 0, whole_days(opened_at, closed_at))
        tally["days", key] += 1
    return tally


def _values(expedient: Expedient, *, old: bool) -> Tally:
    """The expedient's contribution with its values before (``old``) or after the flush."""
    state: InstanceState[Expedient] = inspect(expedient)
    names = ("opened_at", "closed_at", "process_model_id", "term_months", "state")
    found: dict[str, Any] = {}
    for name in names:
        history = state.attrs[name].history
        if old and history.deleted:
            found[name] = history.deleted[0]
        elif old and history.added:
            found[name] = None  # first set in this flush (a column left empty before)
        else:
            found[name] = getattr(expedient, name)
    return contribution(expedient.tenant_id, *(found[name] for name in names))


#: What each kind of tally counts: its table, the key columns and the counting column.
KINDS: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "opened": (ExpedientMonth, ("tenant_id", "month"), "opened"),
    "closed": (ExpedientMonth, ("tenant_id", "month"), "closed"),
    "state": (ExpedientStates, ("tenant_id", "procedure_id", "state"), "count"),
    "days": (ResolutionDays, ("tenant_id", "procedure_id", "term_months", "days"), "count"),
}


def _rows(tally: Tally) -> dict[Any, dict[tuple[Any, ...], dict[str, int]]]:
    """The tally as rows: per model, per key, the value of each counting column that moves."""
    rows: dict[Any, dict[tuple[Any, ...], dict[str, int]]] = {}
    for (kind, key), count in sorted(tally.items(), key=str):  # a fixed order of row locks
        if count:
            model, _columns, column = KINDS[kind]
            rows.setdefault(model, {}).setdefault(key, {})[column] = count
    return rows


def _key_columns(model: Any) -> tuple[str, ...]:
    return next(columns for kind_model, columns, _column in KINDS.values() if kind_model is model)


def apply(connection: Connection, tally: Tally) -> None:
    """Add ``tally`` to the stored figures (one upsert per row that moves), in the caller's transaction."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for model, keyed in _rows(tally).items():
        table, names = model.__table__, _key_columns(model)
        for key, moves in keyed.items():
            stmt = dialect.insert(table).values(**dict(zip(names, key, strict=True)), **moves)
            connection.execute(stmt.on_conflict_do_update(
                index_elements=list(names), set_={name: table.c[name] + stmt.excluded[name] for name in moves}
            ))  # fmt: skip


@event.listens_for(Expedient, "after_insert")
def _inserted(_mapper: Any, connection: Connection, expedient: Expedient) -> None:
    apply(connection, _values(expedient, old=False))


@event.listens_for(Expedient, "after_update")
def _updated(_mapper: Any, connection: Connection, expedient: Expedient) -> None:
    tally = _values(expedient, old=False)
    tally.subtract(_values(expedient, old=True))
    apply(connection, tally)


@event.listens_for(Expedient, "after_delete")
def _deleted(_mapper: Any, connection: Connection, expedient: Expedient) -> None:
    tally: Tally = Counter()
    tally.subtract(_values(expedient, old=True))
    apply(connection, tally)


# -- recount ---------------------------------------------------------------------------------------


def recount(connection: Connection, tenant_ids: Iterable[int] | None = None) -> Tally:
    """The figures counted again from the expedients' rows (streamed, never held whole)."""
    stmt = select(Expedient.tenant_id, Expedient.opened_at, Expedient.closed_at, Expedient.process_model_id,
                  Expedient.term_months, Expedient.state)  # fmt: skip
    if tenant_ids is not None:
        stmt = stmt.where(Expedient.tenant_id.in_(list(tenant_ids)))
    tally: Tally = Counter()
    for row in connection.execute(stmt.execution_options(yield_per=10_000)):
        tally.update(contribution(*row))
    return tally


def stored(connection: Connection, tenant_ids: Iterable[int] | None = None) -> Tally:
    """The figures as stored (counters that went back to zero left out)."""
    tally: Tally = Counter()
    for kind, (model, names, column) in KINDS.items():
        stmt = select(*(getattr(model, name) for name in names), getattr(model, column))
        if tenant_ids is not None:
            stmt = stmt.where(model.tenant_id.in_(list(tenant_ids)))
        for *key, count in connection.execute(stmt):
            tally[kind, tuple(key)] += count
    return +tally


def rebuild(connection: Connection, tenant_ids: Iterable[int] | None = None) -> Tally:
    """Replace the stored figures (of ``tenant_ids``, or all) by a recount, in the caller's
    transaction; returns the recount. For bulk loads that wrote expedients with plain SQL."""
    wanted = list(tenant_ids) if tenant_ids is not None else None
    tally = recount(connection, wanted)
    for model in (ExpedientMonth, ExpedientStates, ResolutionDays):
        stmt = delete(model)
        if wanted is not None:
            stmt = stmt.where(model.tenant_id.in_(wanted))
        connection.execute(stmt)
    for model, keyed in _rows(tally).items():
        names = _key_columns(model)
        zeros = {column: 0 for kind_model, _names, column in KINDS.values() if kind_model is model}
        connection.execute(model.__table__.insert(),
                           [{**dict(zip(names, key, strict=True)), **zeros, **counts} for key, counts in keyed.items()])
    return +tally
