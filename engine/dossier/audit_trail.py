"""The municipality's audit trail as its administrator and its secretary (fe pública) read it: the
events of the tenant, filtered, a page at a time with who acted in words (a citizen by the name the
municipality knows them by) and the numbers of the expedients they belong to, or all of them as CSV
for an auditor (see :mod:`engine.audit.browse`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from engine.audit.browse import PAGE_SIZE, TrailFilters, trail_batches, trail_page
from engine.audit.trail import AuditEvent
from engine.base.clock import as_utc
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden
from engine.base.i18n import _l
from engine.base.spreadsheet import cell
from engine.dossier.actors import actors_in_words
from engine.expedients.expedients import find_by_number, numbers_of
from engine.tenancy.models import Membership, Role, User
from engine.tenancy.scoping import scoped

#: Who reads the whole trail of the municipality.
READERS = frozenset({Role.ADMIN, Role.SECRETARI})
#: The columns of the CSV export, in order.
CSV_COLUMNS = ("seq", "at", "actor", "actor_name", "action", "object_type", "object_id", "expedient", "note",
               "hash")  # fmt: skip


@dataclass(frozen=True)
class TrailPage:
    """A page of the trail, newest first, with what the page shows beside each event."""

    events: list[AuditEvent]
    #: Pass it back as ``after`` for the next (older) page; None on the last one.
    next_after: int | None
    #: Each raw actor of the page -> who it is in words.
    actors: dict[str, str]
    #: Expedient id -> its number, for the page's events that belong to one.
    numbers: dict[int, str]


def _require_reader(ctx: Context) -> None:
    if not any(ctx.has_role(role) for role in READERS):
        raise Forbidden(_l("You do not have permission to do this."))


def people(ctx: Context) -> list[tuple[int, str]]:
    """The municipality's users (id, full name), by name: who the trail can be filtered by."""
    _require_reader(ctx)
    stmt = (select(User.id, User.full_name).join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == ctx.tenant_id).distinct().order_by(User.full_name, User.id))  # fmt: skip
    return [(row.id, row.full_name) for row in db.session.execute(stmt)]


def expedient_id_of(ctx: Context, number: str) -> int:
    """The id of the municipality's expedient numbered ``number``, or :class:`NotFound` saying so."""
    return find_by_number(ctx, number).id


def page(ctx: Context, filters: TrailFilters, after: int | None = None, limit: int = PAGE_SIZE) -> TrailPage:
    """The events of the municipality matching ``filters``, newest first, older than event ``after``."""
    _require_reader(ctx)
    found = trail_page(scoped(AuditEvent, ctx), filters, after, limit)
    numbers = numbers_of(ctx, [event.expedient_id for event in found.rows])
    return TrailPage(found.rows, found.next_after, _actors(ctx, found.rows), numbers)


def csv_lines(ctx: Context, filters: TrailFilters) -> Iterator[str]:
    """Every event matching ``filters`` as CSV (:data:`CSV_COLUMNS`, a header first), oldest first: the
    chain's order, each with its hash. Read a batch at a time, with one query for the batch's users
    and one for its expedients' numbers."""
    _require_reader(ctx)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def taken() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield taken()
    for batch in trail_batches(scoped(AuditEvent, ctx), filters):
        actors, numbers = _actors(ctx, batch), numbers_of(ctx, [event.expedient_id for event in batch])
        for event in batch:
            at = as_utc(event.at)
            writer.writerow((event.seq, at.isoformat() if at else "", cell(event.actor), cell(actors[event.actor]),
                             event.action, event.object_type, event.object_id,
                             numbers.get(event.expedient_id, "") if event.expedient_id is not None else "",
                             cell(event.note or ""), event.hash))  # fmt: skip
        yield taken()


def _actors(ctx: Context, events: Sequence[AuditEvent]) -> dict[str, str]:
    """Who acted in ``events``, in words (see :func:`engine.dossier.actors.actors_in_words`)."""
    return actors_in_words(ctx, events)
