"""The maximum legal term kept on each expedient (arts. 21, 22 and 30 Ley 39/2015).

- When a procedure starts on an expedient, its sidecar (``processes/<key>.info.json``) gives the
  term (``max_term: {"months": n}``) and the effect of silence (``silence``); the term runs from
  the registry entry's effective date (``data_entrada``), else from the opening day.
- ``gee.suspend_term`` (a requeriment d'esmena notified, a sector report asked for) records a
  suspension that is still running: its end is not known yet, so the due date moves day by day.
- The suspension ends, whatever step of the procedure records the term again, when what it waits
  for is delivered (:data:`LIFTING_MESSAGES`: the answer to the requeriment, the sector report):
  art. 22.1.a/d lasts "until its effective compliance" (the day the answer counts as presented, its
  registry entry) "or, failing that, the end of the term granted" (a late answer ends it on that
  term's last day). The natural days suspended push the last day at once.
- ``gee.max_resolution_date`` records the term again with the suspensions that ended, and the
  resulting last day (:meth:`engine.calendar.TenantCalendar.max_resolution_date`).

The last day with the ended suspensions is stored (``Expedient.term_due``, indexed with the
tenant and the state), so the risk list reads only the few open expedients near their end.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.base.events import Event, subscribe
from engine.calendar import Suspension, TenantCalendar
from engine.control.status import ended_suspensions
from engine.expedients.expedients import Expedient
from engine.process.definition.sidecar import read_info
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned

#: Values of a sidecar's ``silence`` that mean something when the term runs out.
SILENCE_VALUES = ("positive", "negative", "lapse")

#: Messages whose delivery ends a running suspension: the answer to a requeriment d'esmena
#: (art. 22.1.a) and the report of another body (art. 22.1.d).
LIFTING_MESSAGES = ("resposta_requeriment", "informe_sectorial")


def tenant_calendar(tenant_id: int) -> TenantCalendar:
    tenant = db.session.get(Tenant, tenant_id)
    return TenantCalendar.for_tenant(tenant) if tenant is not None else TenantCalendar()


def sidecar_term(process_key: str) -> tuple[int | None, str | None]:
    """(months, silence) of a procedure's sidecar; None where it says nothing usable."""
    info = read_info(process_key) or {}
    term = info.get("max_term")
    months = term.get("months") if isinstance(term, dict) else None
    silence = info.get("silence")
    return (int(months) if isinstance(months, int) and months > 0 else None,
            str(silence) if silence in SILENCE_VALUES else None)  # fmt: skip


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@subscribe(Event.INSTANCE_STARTED)
def start_term(ctx: Context, expedient_id: int, process_key: str, data: dict[str, Any]) -> None:
    """The term of a procedure with a maximum term starts with it (once per expedient)."""
    months, silence = sidecar_term(process_key)
    if months is None:
        return
    expedient = get_owned(Expedient, ctx, expedient_id)
    if expedient.term_start is not None:
        return
    start = _as_date(data.get("data_entrada")) or local_date(expedient.opened_at)
    expedient.silence = silence
    _store(expedient, start, months, ())


def record_term(ctx: Context, expedient_id: int, start: date, months: int, suspensions: Iterable[Suspension]) -> date:
    """Store the term with the suspensions that ended (any running one ends); its last day."""
    expedient = get_owned(Expedient, ctx, expedient_id)
    return _store(expedient, start, months, suspensions)


def suspend_term(ctx: Context, expedient_id: int, since: date) -> None:
    """A suspension starts on ``since`` and runs until the term is recorded again (art. 22.1)."""
    expedient = get_owned(Expedient, ctx, expedient_id)
    if expedient.term_suspended_since is None:
        expedient.term_suspended_since = since
        db.session.flush()


@subscribe(Event.MESSAGE_DELIVERED)
def lift_suspension(ctx: Context, expedient_id: int, message_name: str, received_at: datetime, late: bool,
                    due_at: datetime | None) -> None:
    """The answer (or report) a suspension waits for arrived: the suspension ends on the day it
    counts as presented, or on the last day of the term granted when it came late (art. 22.1)."""
    if message_name not in LIFTING_MESSAGES:
        return
    expedient = get_owned(Expedient, ctx, expedient_id)
    since = expedient.term_suspended_since
    if since is None:
        return
    until = local_date(received_at)
    if late and due_at is not None:
        until = min(until, local_date(due_at))
    ended = [*ended_suspensions(expedient), (since, max(since, until))]
    if expedient.term_start is None or expedient.term_months is None:
        expedient.term_suspensions = [[a.isoformat(), b.isoformat()] for a, b in sorted(ended)]
        expedient.term_suspended_since = None
        db.session.flush()
        return
    _store(expedient, expedient.term_start, expedient.term_months, ended)


def _store(expedient: Expedient, start: date, months: int, suspensions: Iterable[Suspension]) -> date:
    ended = sorted(suspensions)
    due = tenant_calendar(expedient.tenant_id).max_resolution_date(start, months, ended)
    expedient.term_start = start
    expedient.term_months = months
    expedient.term_suspensions = [[a.isoformat(), b.isoformat()] for a, b in ended]
    expedient.term_suspended_since = None
    expedient.term_due = due
    db.session.flush()
    return due
