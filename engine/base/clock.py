"""Time: every stored moment is UTC; the law counts days in the body's local time (Europe/Madrid)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

MADRID = ZoneInfo("Europe/Madrid")


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC, so say so."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The Catalan calendar date of a stored (UTC, or naive-as-UTC) moment."""
    utc = as_utc(moment)
    assert utc is not None
    return utc.astimezone(MADRID).date()


def local_day_start(day: date) -> datetime:
    """The UTC moment the Catalan calendar day ``day`` begins (its midnight in Europe/Madrid): the
    bound of a search for what happened on a local day (``start(day) <= at < start(next day)``)."""
    return datetime.combine(day, time(0), tzinfo=MADRID).astimezone(UTC)
