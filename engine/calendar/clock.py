"""Wall-clock dates: the law counts days in the body's local time (Europe/Madrid), not in UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from engine.db import as_utc

MADRID = ZoneInfo("Europe/Madrid")


def local_date(moment: datetime) -> date:
    """The Catalan calendar date of a stored (UTC, or naive-as-UTC) moment."""
    utc = as_utc(moment)
    assert utc is not None
    return utc.astimezone(MADRID).date()
