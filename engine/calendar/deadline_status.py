"""Deadlines as people see them: the inbox traffic light, and the term calculator's explanation.

Traffic light of a task's due date (Ley 39/2015 counts terms in working days, art. 30.2):

- **red**: the due moment has passed (overdue);
- **amber**: 3 working days or fewer remain (counting the working days after today up to and
  including the due day, in Catalan local time);
- **green**: more than 3 working days remain, or the task has no due date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import holidays

from engine.base.clock import as_utc, local_date
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.calendar import TenantCalendar
from engine.calendar.terms import same_day_months_later
from engine.tenancy.models import Tenant

AMBER_WORKING_DAYS = 3
MAX_TERM = 3660  # days or months: ten years of days is more than any administrative term


class DeadlineStatus(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def working_days_left(calendar: TenantCalendar, today: date, due: date, *, up_to: int | None = None) -> int:
    """Working days after ``today`` up to and including ``due`` (0 when due today or earlier);
    with ``up_to``, counting stops past it (a task due in three years is simply not amber)."""
    count, day = 0, today
    while day < due and (up_to is None or count <= up_to):
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def deadline_status(due_at: datetime | None, now: datetime, calendar: TenantCalendar) -> DeadlineStatus:
    """Red when overdue, amber with at most 3 working days left, green otherwise (or no due date)."""
    due = as_utc(due_at)
    moment = as_utc(now)
    if due is None or moment is None:
        return DeadlineStatus.GREEN
    if due < moment:
        return DeadlineStatus.RED
    left = working_days_left(calendar, local_date(moment), local_date(due), up_to=AMBER_WORKING_DAYS)
    return DeadlineStatus.AMBER if left <= AMBER_WORKING_DAYS else DeadlineStatus.GREEN


# -- the term calculator ----------------------------------------------------------------------


class TermUnit(StrEnum):
    WORKING_DAYS = "working_days"
    NATURAL_DAYS = "natural_days"
    MONTHS = "months"


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: Any  # a translated string


@dataclass(frozen=True)
class TermExplanation:
    start: date
    unit: TermUnit
    amount: int
    end: date
    #: The first day counted (the day after notification, art. 30.2/30.4).
    counting_from: date
    skipped: list[SkippedDay] = field(default_factory=list)
    #: Set when the last day fell on a non-working day and moved (art. 30.5).
    moved_from: date | None = None


def _reason(day: date, calendar: TenantCalendar, local: frozenset[date], extra: frozenset[date]) -> Any:
    if day in extra:
        return _l("extra local holiday")
    if day in local:
        return _l("local holiday")
    if calendar.is_holiday(day):
        name = holidays.Spain(subdiv="CT", years=day.year, language="ca").get(day)
        return _l("holiday: %(name)s", name=name) if name else _l("holiday")
    return _l("Saturday") if day.weekday() == 5 else _l("Sunday")


def explain_term(
    calendar: TenantCalendar,
    start: date,
    unit: str,
    amount: int,
    *,
    local_holidays: frozenset[date] = frozenset(),
    extra_holidays: frozenset[date] = frozenset(),
) -> TermExplanation:
    """The last day of a term notified on ``start`` and which days were skipped on the way.

    ``calendar`` must already include ``local_holidays`` and ``extra_holidays``; they are passed
    again only to name the reason a day was skipped.
    """
    try:
        kind = TermUnit(unit)
    except ValueError:
        raise ValidationFailed(_l("Choose working days, natural days or months."), field="unit") from None
    if not 0 < amount <= MAX_TERM:
        raise ValidationFailed(_l("The term must be between 1 and %(max)s.", max=MAX_TERM), field="amount")
    skipped: list[SkippedDay] = []
    moved_from = None
    if kind is TermUnit.WORKING_DAYS:
        end = calendar.add_working_days(start, amount)
        day = start + timedelta(days=1)
        while day < end:
            if not calendar.is_working_day(day):
                skipped.append(SkippedDay(day, _reason(day, calendar, local_holidays, extra_holidays)))
            day += timedelta(days=1)
    else:
        nominal = start + timedelta(days=amount) if kind is TermUnit.NATURAL_DAYS else \
            same_day_months_later(start, amount)
        end = calendar.next_working_day(nominal)
        if nominal != end:
            moved_from = nominal
            day = nominal
            while day < end:
                skipped.append(SkippedDay(day, _reason(day, calendar, local_holidays, extra_holidays)))
                day += timedelta(days=1)
    return TermExplanation(start, kind, amount, end, start + timedelta(days=1), skipped, moved_from)


def explain_tenant_term(tenant: Tenant, start: date, unit: str, amount: int,
                        extra_holidays: frozenset[date] = frozenset()) -> TermExplanation:
    """:func:`explain_term` on the tenant's calendar (its local holidays) plus ``extra_holidays``
    (days off the calculator's user adds, e.g. a local holiday not yet entered)."""
    local = frozenset(date.fromisoformat(d) for d in tenant.holiday_dates())
    calendar = TenantCalendar.for_tenant(tenant)
    if extra_holidays:
        calendar = calendar.union(TenantCalendar(extra_holidays, aran=bool(tenant.aran)))
    return explain_term(calendar, start, unit, amount, local_holidays=local, extra_holidays=extra_holidays)
