"""Date arithmetic of terms that needs no calendar, and what silence means when a term runs out.

Suspension rule (art. 22.1.a): a requeriment d'esmena suspends the maximum term "for the time
between the notification of the requirement and its effective compliance or, failing that, the
term granted". We count that time as the natural days between the two dates (``until - since``:
notified 10 March, answered 20 March = 10 days) and push the end of the term by that many natural
days. Overlapping or touching suspensions count once; a suspension starting after the term has
already run out cannot revive it and is ignored. The art. 30.4 rule (a non-working last day moves
to the next working day) is applied once, to the final date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l

Suspension = tuple[date, date]


def same_day_months_later(start: date, n: int) -> date:
    """The same day number ``n`` months later, or the last day of a month that lacks it (art. 30.4)."""
    month_index = start.month - 1 + n
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def extend_by_suspensions(end: date, suspensions: Iterable[Suspension]) -> date:
    """Push the (unadjusted) end of a term by the natural days it was suspended (art. 22.1.a)."""
    for since, until in _merged(suspensions):
        if since > end:
            break
        end += timedelta(days=(until - since).days)
    return end


def suspended_days(suspensions: Iterable[Suspension], until: date) -> int:
    """Natural days of the suspensions that had passed by ``until`` (overlaps counted once)."""
    return sum((min(end, until) - since).days for since, end in _merged(suspensions) if since < until)


def _merged(suspensions: Iterable[Suspension]) -> list[Suspension]:
    merged: list[Suspension] = []
    for since, until in sorted(suspensions):
        if until < since:
            raise ValidationFailed(_l("A suspension cannot end before it starts."), field="suspensions")
        if merged and since <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], until))
        else:
            merged.append((since, until))
    return merged


class SilenceEffect(StrEnum):
    """What the lapse of the maximum term means for the interested party (arts. 24-25)."""

    POSITIVE = "positive"  # estimatori: the application is deemed granted
    NEGATIVE = "negative"  # desestimatori: deemed refused, the party may appeal
    LAPSE = "lapse"  # caducitat: the ex officio procedure expires and is archived


def silence_effect(
    *, on_application: bool, exception: bool = False, unfavourable_ex_officio: bool = False
) -> SilenceEffect:
    """The default effect of silence.

    On application (art. 24.1) it is positive unless a law says otherwise (``exception``: public
    domain, environment, state liability, petitions, grants...). Ex officio (art. 25) it is
    negative for procedures that could recognise rights, and lapse for sanctioning or other
    procedures with unfavourable effects (``unfavourable_ex_officio``).
    """
    if on_application:
        return SilenceEffect.NEGATIVE if exception else SilenceEffect.POSITIVE
    return SilenceEffect.LAPSE if unfavourable_ex_officio else SilenceEffect.NEGATIVE
