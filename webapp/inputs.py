"""Integers from the outside world (URL parts, query strings, JSON bodies), bounded in one place
so that a number the database cannot hold answers 404 or 400, never 500."""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.routing import IntegerConverter
from werkzeug.routing.map import Map

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l

#: The largest value of an INTEGER column (PostgreSQL's int4), hence of every id.
DB_INT_MAX = 2**31 - 1
#: Years a register, a decree book or a deadline may be about.
YEAR_MIN, YEAR_MAX = 1900, 2999
#: The longest term the deadline calculator counts (days or months).
TERM_MAX = 3650
#: The last page number a listing may be asked for (its offset stays within the integer range).
PAGE_MAX = 100_000


class IdConverter(IntegerConverter):
    """``<int:…>`` that does not match numbers beyond the database's integer range (a 404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def int_arg(value: Any, *, field: str, default: int | None = None, low: int = 0,
            high: int = DB_INT_MAX) -> int | None:
    """``value`` as a whole number in ``[low, high]``; ``default`` when empty; else a readable 4xx."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        number = None
    if number is None or not low <= number <= high or len(str(value)) > 20:
        raise ValidationFailed(
            _l("Enter a whole number between %(low)s and %(high)s.", low=low, high=high), field=field
        )
    return number


def is_id(text: str) -> bool:
    """A string of digits naming a row id the database can hold."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= DB_INT_MAX


def id_value(value: Any, field: str) -> int | None:
    """An id from a JSON body or a form: None when missing, else a positive integer in range."""
    return int_arg(value, field=field, low=1)


def search_text(value: str | None, limit: int = 100) -> str:
    """What someone typed in a search box, as the database can take it: control characters (a NUL
    byte, which PostgreSQL refuses in text) dropped, at most ``limit`` characters."""
    return "".join(ch for ch in (value or "") if ch.isprintable() or ch == " ")[:limit]


def date_value(value: str, field: str) -> date:
    """An ISO date (2026-03-02) within the years a register or a term may be about, else a readable 422."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(_l("Enter a valid date (day, month and year)."), field=field) from None
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise ValidationFailed(
            _l("Enter a year between %(low)s and %(high)s.", low=YEAR_MIN, high=YEAR_MAX), field=field
        )
    return day


def date_list(text: str, field: str) -> frozenset[date]:
    """Dates separated by spaces or commas (the deadline calculator's extra holidays)."""
    return frozenset(date_value(part, field) for part in text.replace(",", " ").split())
