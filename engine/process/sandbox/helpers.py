"""Functions process designers can call in scripts, gateway conditions, DMN cells and
timer expressions.

Dates go in and come out as ISO 8601 text (``"2026-11-21"``, ``"2026-12-04T23:59:59+01:00"``)
because task data is JSON. Terms follow art. 30 of Ley 39/2015 with the tenant's calendar
(national, Catalan and local holidays; the Val d'Aran variant), and end at the *end* of their
last day, Spanish peninsular time, so a timer on ``working_days(10)`` fires when the term has
really run out. Times are shown and computed in Europe/Madrid.

Example timer (``timeDate``): ``working_days(10)``.
Example condition: ``today() > deadline`` (ISO dates compare correctly as text).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.base import formats
from engine.base.clock import MADRID

_END_OF_DAY = time(23, 59, 59)


class HelperError(ValueError):
    """A helper was called with a value it cannot use; the message is for the designer."""


def _as_date(value: Any, *, name: str = "start") -> date:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=MADRID)).astimezone(MADRID).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return _as_date(datetime.fromisoformat(text))
        except ValueError:
            pass
    raise HelperError(f"{name} must be a date like 2026-11-21, got {value!r}")


def _as_count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | float | str):
        raise HelperError(f"the number of days or months must be a whole number, got {n!r}")
    try:
        number = Decimal(str(n).strip())
    except InvalidOperation:
        raise HelperError(f"the number of days or months must be a whole number, got {n!r}") from None
    if number != number.to_integral_value() or number < 0:
        raise HelperError(f"the number of days or months must be a whole number, got {n!r}")
    return int(number)


def _end_of(day: date) -> str:
    return datetime.combine(day, _END_OF_DAY, tzinfo=MADRID).isoformat()


class ScriptHelpers:
    """The helper library bound to one tenant calendar and one clock.

    ``calendar`` follows :class:`engine.calendar.TenantCalendar`; ``clock`` returns the aware
    current time (tests and replays pass a fixed one).
    """

    def __init__(self, calendar: Any, clock: Callable[[], datetime] | None = None):
        self._calendar = calendar
        self._clock = clock or (lambda: datetime.now(MADRID))

    def _start(self, start: Any) -> date:
        return self._today_date() if start is None else _as_date(start)

    def _today_date(self) -> date:
        return self._clock().astimezone(MADRID).date()

    def working_days(self, n: Any, start: Any = None) -> str:
        """End of a term of ``n`` working days (art. 30.2 Ley 39/2015).

        Counting starts the day after ``start`` (default: today); Saturdays, Sundays and the
        tenant's holidays do not count. Returns the end of the last day, e.g.
        ``working_days(10, "2026-11-20")`` -> ``"2026-12-04T23:59:59+01:00"``.
        """
        return _end_of(self._calendar.add_working_days(self._start(start), _as_count(n)))

    def natural_days(self, n: Any, start: Any = None) -> str:
        """End of a term of ``n`` natural (calendar) days, counted from the day after ``start``;
        if it ends on a non-working day it moves to the next working day (art. 30.5).
        Example: a notification not opened within ``natural_days(10)`` is deemed rejected."""
        return _end_of(self._calendar.add_natural_days(self._start(start), _as_count(n)))

    def months(self, n: Any, start: Any = None) -> str:
        """End of a term of ``n`` months (art. 30.4): the same day number ``n`` months after
        ``start``, the last day of that month if it has no such day, moved to the next working
        day if non-working. Example: ``months(1)`` for a recurs de reposició."""
        return _end_of(self._calendar.add_months(self._start(start), _as_count(n)))

    def is_working_day(self, day: Any = None) -> bool:
        """Whether ``day`` (default: today) is a working day for this tenant."""
        return bool(self._calendar.is_working_day(self._start(day)))

    def today(self) -> str:
        """Today's date in Spain, e.g. ``"2026-11-21"``."""
        return self._today_date().isoformat()

    def now(self) -> str:
        """The current date and time in Spain, e.g. ``"2026-11-21T10:30:00+01:00"``."""
        return self._clock().astimezone(MADRID).replace(microsecond=0).isoformat()

    def add_days(self, value: Any, n: Any) -> str:
        """Plain calendar arithmetic, no term rules: ``add_days("2026-11-21", 3)`` ->
        ``"2026-11-24"``. A negative ``n`` goes back. A date-time keeps its time of day."""
        if not isinstance(n, int) or isinstance(n, bool):
            raise HelperError(f"the number of days must be a whole number, got {n!r}")
        if isinstance(value, str) and len(value.strip()) > 10:
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                raise HelperError(f"expected a date like 2026-11-21, got {value!r}") from None
            return (moment + timedelta(days=n)).isoformat()
        return (_as_date(value, name="date") + timedelta(days=n)).isoformat()

    @staticmethod
    def format_amount(amount: Any) -> str:
        """An amount of euros as Catalans write it: ``format_amount(1234.5)`` -> ``"1.234,50 €"``."""
        try:
            return formats.format_amount(amount, "ca")
        except ValueError:
            raise HelperError(f"expected an amount, got {amount!r}") from None

    @staticmethod
    def format_date(value: Any) -> str:
        """A date as ``dd/mm/yyyy``: ``format_date("2026-11-21")`` -> ``"21/11/2026"``.
        Date-times are shown as their date in Spain."""
        return _as_date(value, name="date").strftime("%d/%m/%Y")

    def namespace(self) -> dict[str, Callable[..., Any]]:
        """The names scripts see."""
        return {name: getattr(self, name) for name in HELPER_NAMES}


#: Every helper a script can call, in the order the designer docs list them.
HELPER_NAMES: tuple[str, ...] = (
    "working_days",
    "natural_days",
    "months",
    "is_working_day",
    "today",
    "now",
    "add_days",
    "format_amount",
    "format_date",
)


def helper_docs() -> dict[str, str]:
    """Name -> docstring, for the designer documentation."""
    return {name: (getattr(ScriptHelpers, name).__doc__ or "").strip() for name in HELPER_NAMES}
