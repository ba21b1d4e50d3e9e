"""Dates, months, amounts, percentages and file sizes for people, in the reader's language (Babel, CLDR).

Pages pass the request's locale, documents the locale they are written in. A date is never
all digits with a two-digit year ("12/3/26" is the 12th of March or the 3rd of December,
depending on who reads it): the month is a word and the year has four digits. Times are on the
24-hour clock in Spain's time zone, where the law counts days.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.dates import DateTimePattern, format_date, match_skeleton, parse_pattern
from babel.numbers import format_currency
from babel.numbers import format_percent as format_percent_pattern
from babel.units import format_unit

from engine.base.clock import MADRID, as_utc

#: "3 de des. del 2026", "3 dic 2026", "Dec 3, 2026": lists and tables.
SHORT_DAY = "yMMMd"
#: "3 de desembre del 2026", "3 de diciembre de 2026", "December 3, 2026": documents.
LONG_DAY = "yMMMMd"


def _straight(text: str) -> str:
    """CLDR's typographic apostrophe ("d’abr.") as the straight one the app's own texts use ("d'esmena"),
    so that a page or a document does not mix the two."""
    return text.replace("\u2019", "'")


def _day(value: date | datetime | str) -> date:
    """The Spanish calendar day of a date, a stored moment or an ISO text (form data)."""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime):
        moment = as_utc(value) if value.tzinfo is None else value
        assert moment is not None
        return moment.astimezone(MADRID).date()
    return value


@lru_cache(maxsize=32)
def _day_pattern(locale: str, long: bool) -> tuple[Locale, DateTimePattern]:
    """The locale and its pattern for a day, resolved once: a list page formats dates on every row,
    and matching the skeleton and parsing the locale were most of the cost of each."""
    parsed = Locale.parse(locale)
    skeleton = LONG_DAY if long else SHORT_DAY
    if skeleton not in parsed.datetime_skeletons:
        skeleton = match_skeleton(skeleton, parsed.datetime_skeletons) or skeleton
    return parsed, parse_pattern(parsed.datetime_skeletons[skeleton])


def format_day(value: date | datetime | str | None, locale: str, *, long: bool = False) -> str:
    """A calendar day with the month as a word and a four-digit year; "" for none."""
    if value is None or value == "":
        return ""
    return _formatted_day(_day(value), locale, long)


@lru_cache(maxsize=4096)
def _formatted_day(day: date, locale: str, long: bool) -> str:
    """One day's text, remembered like :func:`_formatted_moment`'s."""
    parsed, pattern = _day_pattern(locale, long)
    return _straight(pattern.apply(day, parsed))


@lru_cache(maxsize=32)
def _moment_patterns(locale: str, seconds: bool, long: bool) -> tuple[Locale, DateTimePattern, DateTimePattern, str]:
    """The locale, its day and clock patterns and how it joins them, resolved once per locale."""
    parsed, day = _day_pattern(locale, long)
    clock = parse_pattern("HH:mm:ss" if seconds else "HH:mm")
    return parsed, day, clock, str(parsed.datetime_formats["medium"])


def format_moment(value: datetime | None, locale: str, *, seconds: bool = False, long: bool = False) -> str:
    """A stored (UTC) moment as Spain's wall-clock day and time: "3 Dec 2026, 07:59" style."""
    moment = as_utc(value)
    if moment is None:
        return ""
    return _formatted_moment(moment, locale, seconds, long)


@lru_cache(maxsize=4096)
def _formatted_moment(moment: datetime, locale: str, seconds: bool, long: bool) -> str:
    """One moment's text, remembered: lists show the same due dates and filing times on every
    reload, and applying Babel's patterns was most of what a list row cost to render."""
    local = moment.astimezone(MADRID)
    parsed, day, clock, joined = _moment_patterns(locale, seconds, long)
    return _straight(joined.replace("{1}", day.apply(local, parsed)).replace("{0}", clock.apply(local, parsed)))


@lru_cache(maxsize=512)
def format_month(value: date, locale: str) -> str:
    """A month on its own (a chart's axis): "gen. 2026", "ene 2026", "Jan 2026" (standalone form);
    remembered, as the dashboard shows the same twelve on every visit."""
    return _straight(format_date(value, "LLL y", locale=locale))


def plain(text: str) -> str:
    """CLDR's no-break spaces as plain ones: an amount in a decree's text is found by what people type."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite():
        raise ValueError(f"expected a number, got {value!r}")
    return number


def format_amount(value: object, locale: str) -> str:
    """Euros rounded to the cent the way the reader writes them: "1.234,50 €", "€1,234.50"."""
    cents = _decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return plain(format_currency(cents, "EUR", locale=locale))


def format_percent(fraction: object, locale: str, digits: int = 2) -> str:
    """A rate given as a fraction (0.04) as a percentage with ``digits`` decimals: "4,00 %", "4.00%"."""
    pattern = str(Locale.parse(locale).percent_formats[None].pattern)
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1) if "." not in pattern else pattern
    return plain(format_percent_pattern(_decimal(fraction), pattern, locale=locale))


#: CLDR's units of a file size, each a thousand of the one before (as "22.5 kB" on the staff pages).
_SIZE_UNITS = ("digital-byte", "digital-kilobyte", "digital-megabyte", "digital-gigabyte")


def format_size(size: int, locale: str) -> str:
    """A file's size in bytes as the reader writes it, to one decimal: "36,3 kB", "36.3 kB", "512 B"."""
    value, unit = float(size), 0
    while round(value, 1) >= 1000 and unit < len(_SIZE_UNITS) - 1:  # 999,96 kB is 1 MB, not 1.000 kB
        value, unit = value / 1000, unit + 1
    return plain(format_unit(value, _SIZE_UNITS[unit], length="short", format="#,##0.#", locale=locale))


__all__ = ["format_amount", "format_day", "format_moment", "format_month", "format_percent", "format_size", "plain"]
