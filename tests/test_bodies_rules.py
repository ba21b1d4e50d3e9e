"""The legal rules of a collegiate body's session, with the values the law gives."""

from __future__ import annotations

from datetime import date

import pytest

from engine.bodies import rules
from engine.calendar import TenantCalendar

#: Sant Proves' local holiday of Monday 16 March 2026 (tests/procedures_helpers.py).
TOWN = TenantCalendar(local_holidays=[date(2026, 3, 16)])


@pytest.mark.parametrize(("legal", "required"), [(11, 4), (7, 3), (13, 5), (9, 3), (5, 3), (3, 3), (21, 7)])
def test_quorum_is_a_third_of_the_legal_number_never_fewer_than_three(legal: int, required: int) -> None:
    # LBRL art. 46.2.c: one third of the legal number (11 / 3 = 3.67: four members), never fewer than three.
    assert rules.quorum(legal) == required


def test_quorum_needs_the_president_and_the_secretary() -> None:
    # LBRL art. 46.2.c: 11 members -> 4 present, always with the president and the secretary.
    assert rules.check_quorum(11, 4, president_present=True, secretary_present=True).constituted
    assert not rules.check_quorum(11, 3, president_present=True, secretary_present=True).constituted
    assert not rules.check_quorum(11, 11, president_present=False, secretary_present=True).constituted
    assert not rules.check_quorum(11, 11, president_present=True, secretary_present=False).constituted
    # 7 members: a third is 2.33, but never fewer than three.
    assert not rules.check_quorum(7, 2, president_present=True, secretary_present=True).constituted
    assert rules.check_quorum(7, 3, president_present=True, secretary_present=True).constituted


def test_absolute_majority_counts_on_the_legal_number_not_on_who_attends() -> None:
    # LBRL art. 47.2: more than half the legal number. 11 -> 6, 7 -> 4, 10 -> 6.
    assert (rules.absolute_majority(11), rules.absolute_majority(7), rules.absolute_majority(10)) == (6, 4, 6)
    # Five for and none against is not an absolute majority of 11, though everyone present voted for.
    assert not rules.passes("absolute", 11, 5, 0)
    assert rules.passes("absolute", 11, 6, 5)
    # Simple majority (art. 47.1): more for than against; a tie does not carry.
    assert rules.passes("simple", 11, 3, 2)
    assert not rules.passes("simple", 11, 3, 3)


def test_convocation_two_working_days_before_with_a_local_holiday_in_between() -> None:
    # LBRL art. 46.2.b: two working days between the convocation and a session on Wednesday 18 March 2026.
    session = date(2026, 3, 18)
    # Convened Friday 13: Saturday, Sunday and the local holiday on Monday 16 do not count: only Tuesday 17.
    assert not rules.convened_in_time(TOWN, date(2026, 3, 13), session)
    # Convened Thursday 12: Friday 13 and Tuesday 17 lie between.
    assert rules.convened_in_time(TOWN, date(2026, 3, 12), session)
    assert rules.latest_convocation_day(TOWN, session) == date(2026, 3, 12)
    # Without the holiday Friday 13 would do (Monday 16 and Tuesday 17).
    assert rules.convened_in_time(TenantCalendar(), date(2026, 3, 13), session)
    # The day of the session itself never counts: convened Monday 23 for Wednesday 25 is too late.
    assert not rules.convened_in_time(TOWN, date(2026, 3, 23), date(2026, 3, 25))
