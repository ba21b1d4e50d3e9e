"""Which days are working days for a tenant, and how terms in days and months end (art. 30).

- Saturdays, Sundays and holidays are non-working (art. 30.2).
- Holidays are national + Catalonia (``holidays.Spain(subdiv="CT")``) + the tenant's local
  holidays; in the Val d'Aran 26 December is a working day and 17 June a holiday instead.
- A day non-working where the party lives *or* where the body sits is non-working (art. 30.6):
  calendars combine with :meth:`TenantCalendar.union`, which unites their holiday sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.calendar.terms import Suspension, extend_by_suspensions, same_day_months_later

if TYPE_CHECKING:
    from engine.tenancy.models import Tenant

ARAN_HOLIDAY = (6, 17)  # Dia d'Aran
SANT_ESTEVE = (12, 26)


@lru_cache(maxsize=64)
def regional_holidays(year: int, aran: bool = False) -> frozenset[date]:
    """National and Catalan holidays of a year; with ``aran``, the Val d'Aran variant."""
    days = set(holidays.Spain(subdiv="CT", years=year).keys())
    if aran:
        days.discard(date(year, *SANT_ESTEVE))
        days.add(date(year, *ARAN_HOLIDAY))
    return frozenset(days)


@dataclass(frozen=True)
class _HolidaySet:
    """One place's holidays: its regional variant plus its local days."""

    aran: bool
    local: frozenset[date]

    def contains(self, day: date) -> bool:
        return day in self.local or day in regional_holidays(day.year, self.aran)


class TenantCalendar:
    """The working-day calendar of a tenant (optionally united with other places' calendars)."""

    def __init__(
        self,
        local_holidays: Iterable[date] = (),
        aran: bool = False,
        extra_holidays: Iterable[date] = (),
    ) -> None:
        local = frozenset(local_holidays) | frozenset(extra_holidays)
        self._sets: tuple[_HolidaySet, ...] = (_HolidaySet(aran=aran, local=local),)

    @classmethod
    def for_tenant(cls, tenant: Tenant) -> TenantCalendar:
        """The calendar of a tenant: its configured local holidays (every year) and Aran flag."""
        local = [date.fromisoformat(d) for d in tenant.holiday_dates()]
        return cls(local_holidays=local, aran=bool(tenant.aran))

    def union(self, other: TenantCalendar) -> TenantCalendar:
        """A calendar where a day is non-working if it is non-working in either (art. 30.6)."""
        combined = TenantCalendar.__new__(TenantCalendar)
        combined._sets = tuple(dict.fromkeys(self._sets + other._sets))
        return combined

    # -- days -------------------------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        return any(s.contains(day) for s in self._sets)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    # -- terms ------------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """Last day of a term of ``n`` working days notified on ``start`` (counting starts the day after)."""
        _check_count(n)
        day = start
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def add_natural_days(self, start: date, n: int) -> date:
        """Last day of ``n`` natural days from ``start``; moved to the next working day if non-working."""
        _check_count(n)
        return self.next_working_day(start + timedelta(days=n))

    def add_months(self, start: date, n: int) -> date:
        """Last day of a term of ``n`` months notified on ``start`` (art. 30.4).

        Same day number in the expiry month, or that month's last day when the number does not
        exist there; then moved to the next working day when non-working.
        """
        _check_count(n)
        return self.next_working_day(same_day_months_later(start, n))

    def max_resolution_date(self, start: date, months: int, suspensions: Iterable[Suspension] = ()) -> date:
        """Last day to resolve and notify: ``months`` from ``start`` (registry entry or opening
        decision), pushed by the natural days of each suspension (see :mod:`engine.calendar.terms`)."""
        _check_count(months)
        end = extend_by_suspensions(same_day_months_later(start, months), suspensions)
        return self.next_working_day(end)


def _check_count(n: int) -> None:
    if n < 0:
        raise ValidationFailed(_l("A term cannot be negative."), field="n")
