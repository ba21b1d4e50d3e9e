"""Browsing a tenant's audit trail: what to look for, a page at a time (newest first) or every match in
the chain's order (an auditor's export).

The trail knows no tenancy rules: the caller passes the tenant's events (``scoped(AuditEvent, ctx)``)
and resolves what people type (an expedient number, a user's name) to ids first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select

from engine.audit.trail import AuditEvent
from engine.base.clock import local_day_start
from engine.base.db import db
from engine.base.keyset import KeysetPage, keyset_page
from engine.base.unit_of_work import end_read

#: Events a page of the trail shows.
PAGE_SIZE = 50
#: Events an export reads at a time.
EXPORT_BATCH = 500


@dataclass(frozen=True)
class TrailFilters:
    """What the events must match; an empty field matches anything."""

    #: The user who acted (``actor_id``).
    user_id: int | None = None
    #: Part of the raw actor, in any case: a username, ``seu:<NIF>``, the reason GEE acted for.
    actor: str = ""
    #: An action code (``expedient.opened``).
    action: str = ""
    #: The first and last Catalan calendar days (Europe/Madrid), both included.
    since: date | None = None
    until: date | None = None
    expedient_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The conditions on :class:`AuditEvent` these filters ask for."""
        found: list[ColumnElement[bool]] = []
        if self.user_id is not None:
            found.append(AuditEvent.actor_id == self.user_id)
        if self.actor:
            found.append(AuditEvent.actor.icontains(self.actor, autoescape=True))
        if self.action:
            found.append(AuditEvent.action == self.action)
        if self.since is not None:
            found.append(AuditEvent.at >= local_day_start(self.since))
        if self.until is not None:
            found.append(AuditEvent.at < local_day_start(self.until + timedelta(days=1)))
        if self.expedient_id is not None:
            found.append(AuditEvent.expedient_id == self.expedient_id)
        return found


def trail_page(events: Select[Any], filters: TrailFilters, after: int | None = None,
               limit: int = PAGE_SIZE) -> KeysetPage[AuditEvent]:
    """The matching ``events`` (the tenant's), newest first, those before event ``after`` (its ``seq``)
    when given; ``next_after`` is the ``seq`` the next (older) page starts below."""
    return keyset_page(events.where(*filters.conditions()), AuditEvent.seq, after, limit)


def trail_batches(events: Select[Any], filters: TrailFilters,
                  batch: int = EXPORT_BATCH) -> Iterator[list[AuditEvent]]:
    """Every matching event of ``events`` (the tenant's), oldest first (the chain's order), ``batch`` at
    a time. The read transaction ends before each next batch is read (unless a unit of work is open),
    so a slow download holds none: use a batch's events before asking for the next."""
    last = 0
    while True:
        stmt = events.where(*filters.conditions(), AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        rows = list(db.session.execute(stmt).scalars())
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = rows[-1].seq
        end_read()
