"""Where an expedient stands against its maximum legal term, on a given day.

- **due**: the last day to resolve and notify: the term from its start, pushed by the natural
  days of every suspension (one still running counts up to today, so the day moves while it
  runs), moved to the next working day when it falls on a non-working one (arts. 22 and 30.4).
- **elapsed**: natural days from the start to today, without the days suspended.
- **working days left**: working days after today up to and including the due day (0 on it).
- **at risk**: 10 working days or fewer left, or already past (the effect of silence, or the
  caducitat of an ex officio procedure, is then near or has happened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.calendar import TenantCalendar
from engine.calendar.deadline_status import working_days_left
from engine.calendar.terms import Suspension, suspended_days
from engine.expedients.expedients import Expedient

RISK_WORKING_DAYS = 10


@dataclass(frozen=True)
class TermStatus:
    expedient_id: int
    number: str
    subject: str
    procedure: str | None
    start: date
    months: int
    due: date
    elapsed_days: int
    working_days_left: int
    #: Natural days since the due day (0 while the term runs).
    days_past: int
    suspended_since: date | None
    silence: str | None
    #: The suspensions that ended ([since, until], oldest first).
    suspensions: tuple[Suspension, ...] = ()

    @property
    def expired(self) -> bool:
        return self.days_past > 0

    @property
    def at_risk(self) -> bool:
        return self.expired or self.working_days_left <= RISK_WORKING_DAYS


def suspensions_of(expedient: Expedient, today: date) -> list[Suspension]:
    """The ended suspensions, and a running one up to ``today``."""
    ended = ended_suspensions(expedient)
    since = expedient.term_suspended_since
    return [*ended, (since, max(since, today))] if since is not None else ended


def ended_suspensions(expedient: Expedient) -> list[Suspension]:
    """The suspensions of the expedient's term that ended, oldest first."""
    return sorted((date.fromisoformat(a), date.fromisoformat(b)) for a, b in expedient.term_suspensions or [])


def term_status(calendar: TenantCalendar, expedient: Expedient, procedure: str | None, today: date) -> TermStatus:
    """The status of an expedient that has a term (``term_start`` and ``term_months`` set)."""
    if expedient.term_start is None or expedient.term_months is None:
        raise ValueError("the expedient has no legal term")
    suspensions = suspensions_of(expedient, today)
    due = calendar.max_resolution_date(expedient.term_start, expedient.term_months, suspensions)
    elapsed = max(0, (today - expedient.term_start).days - suspended_days(suspensions, today))
    return TermStatus(
        expedient_id=expedient.id,
        number=expedient.number,
        subject=expedient.subject,
        procedure=procedure,
        start=expedient.term_start,
        months=expedient.term_months,
        due=due,
        elapsed_days=elapsed,
        working_days_left=working_days_left(calendar, today, due),
        days_past=max(0, (today - due).days),
        suspended_since=expedient.term_suspended_since,
        silence=expedient.silence,
        suspensions=tuple(ended_suspensions(expedient)),
    )
