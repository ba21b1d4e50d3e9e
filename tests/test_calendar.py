"""Working days and terms (Ley 39/2015, art. 30); expected dates were read off a printed calendar."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.calendar import SilenceEffect, TenantCalendar, silence_effect
from tests.conftest import make_tenant

D = date


# The official 2026 Catalan working calendar: national + Catalan holidays.
CATALONIA_2026 = [D(2026, 1, 1), D(2026, 1, 6), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 1), D(2026, 6, 24),
                  D(2026, 8, 15), D(2026, 9, 11), D(2026, 10, 12), D(2026, 12, 8), D(2026, 12, 25), D(2026, 12, 26)]
CATALONIA_2025 = [D(2025, 1, 1), D(2025, 1, 6), D(2025, 4, 18), D(2025, 4, 21), D(2025, 5, 1), D(2025, 6, 24),
                  D(2025, 8, 15), D(2025, 9, 11), D(2025, 11, 1), D(2025, 12, 6), D(2025, 12, 8), D(2025, 12, 25),
                  D(2025, 12, 26)]


@pytest.mark.parametrize("day", CATALONIA_2026 + CATALONIA_2025)
def test_catalan_holidays_are_not_working_days(day):
    assert not TenantCalendar().is_working_day(day)


@pytest.mark.parametrize("day", [
    D(2026, 3, 19),   # Sant Josep: a holiday elsewhere in Spain, not in Catalonia
    D(2026, 4, 2),    # Holy Thursday: idem
    D(2026, 6, 17),   # Dia d'Aran: only in the Val d'Aran
    D(2026, 11, 2),   # Monday after All Saints on a Sunday: not moved in Catalonia
    D(2026, 12, 7),   # Monday after Constitution Day on a Sunday: not moved
])
def test_ordinary_weekdays_are_working_days(day):
    assert TenantCalendar().is_working_day(day)


def test_weekends_are_not_working_days():
    cal = TenantCalendar()
    assert not cal.is_working_day(D(2026, 3, 7)) and not cal.is_working_day(D(2026, 3, 8))
    assert cal.is_working_day(D(2026, 3, 9))


def test_ten_working_days_skip_easter_and_start_the_day_after():
    # Notified Monday 30 March 2026: 31, 1, 2, (Good Friday, weekend, Easter Monday) 7, 8, 9, 10, 13, 14, 15.
    assert TenantCalendar().add_working_days(D(2026, 3, 30), 10) == D(2026, 4, 15)


def test_working_days_across_christmas_and_new_year():
    # Notified Friday 18 December 2026: 21, 22, 23, 24, 28, 29, 30, 31, 4 Jan, 5 Jan.
    assert TenantCalendar().add_working_days(D(2026, 12, 18), 10) == D(2027, 1, 5)


def test_notification_on_a_non_working_day_counts_from_the_next_day():
    # Notified Saturday 4 April 2026: Easter Monday is skipped; 7, 8 and 9 April.
    assert TenantCalendar().add_working_days(D(2026, 4, 4), 3) == D(2026, 4, 9)


def test_local_holidays_are_not_working_days():
    cal = TenantCalendar(local_holidays=[D(2026, 5, 11), D(2026, 9, 8)])
    assert not cal.is_working_day(D(2026, 5, 11))
    # Notified Friday 8 May 2026: Monday 11 is the local holiday, so 12 and 13.
    assert cal.add_working_days(D(2026, 5, 8), 2) == D(2026, 5, 13)
    assert TenantCalendar().add_working_days(D(2026, 5, 8), 2) == D(2026, 5, 12)


def test_val_d_aran_works_on_sant_esteve_and_rests_on_17_june():
    aran, rest = TenantCalendar(aran=True), TenantCalendar()
    assert aran.is_working_day(D(2025, 12, 26)) and not rest.is_working_day(D(2025, 12, 26))
    assert not aran.is_working_day(D(2026, 6, 17)) and rest.is_working_day(D(2026, 6, 17))
    # Notified Monday 22 December 2025, 5 working days.
    assert rest.add_working_days(D(2025, 12, 22), 5) == D(2025, 12, 31)  # 23, 24, 29, 30, 31
    assert aran.add_working_days(D(2025, 12, 22), 5) == D(2025, 12, 30)  # 23, 24, 26, 29, 30
    # Notified Monday 15 June 2026, 3 working days.
    assert rest.add_working_days(D(2026, 6, 15), 3) == D(2026, 6, 18)  # 16, 17, 18
    assert aran.add_working_days(D(2026, 6, 15), 3) == D(2026, 6, 19)  # 16, 18, 19


def test_union_of_calendars_makes_a_day_non_working_if_it_is_anywhere():
    body = TenantCalendar(local_holidays=[D(2026, 5, 11)])
    party = TenantCalendar(aran=True, local_holidays=[D(2026, 5, 12)])
    both = body.union(party)
    for day in (D(2026, 5, 11), D(2026, 5, 12), D(2026, 6, 17), D(2025, 12, 26)):
        assert not both.is_working_day(day), day
    # Notified Friday 8 May 2026: 11 and 12 are holidays on one side or the other: 13, 14.
    assert both.add_working_days(D(2026, 5, 8), 2) == D(2026, 5, 14)
    # The originals are unchanged.
    assert body.is_working_day(D(2026, 5, 12)) and party.is_working_day(D(2026, 5, 11))


def test_extra_holidays_parameter():
    cal = TenantCalendar(extra_holidays=[D(2026, 3, 31)])
    assert cal.add_working_days(D(2026, 3, 30), 1) == D(2026, 4, 1)


def test_next_working_day():
    cal = TenantCalendar()
    assert cal.next_working_day(D(2026, 4, 3)) == D(2026, 4, 7)  # Good Friday -> Tuesday after Easter Monday
    assert cal.next_working_day(D(2026, 4, 8)) == D(2026, 4, 8)
    assert cal.next_working_day(D(2026, 12, 25)) == D(2026, 12, 28)


def test_natural_days_end_moved_to_next_working_day():
    cal = TenantCalendar()
    # An e-notification made available on Thursday 26 March 2026: 10 natural days = Sunday 5 April;
    # Monday 6 is Easter Monday, so the term ends on Tuesday 7 April.
    assert cal.add_natural_days(D(2026, 3, 26), 10) == D(2026, 4, 7)
    assert cal.add_natural_days(D(2026, 6, 1), 10) == D(2026, 6, 11)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2026, 1, 15), 1, D(2026, 2, 16)),   # 15 Feb is a Sunday
    (D(2026, 1, 31), 1, D(2026, 3, 2)),    # no 31 Feb -> Saturday 28 Feb -> Monday 2 March
    (D(2024, 1, 31), 1, D(2024, 2, 29)),   # leap year: Thursday 29 Feb
    (D(2026, 11, 30), 1, D(2026, 12, 30)),
    (D(2026, 10, 25), 2, D(2026, 12, 28)), # Christmas Friday, weekend -> Monday 28
    (D(2026, 3, 31), 3, D(2026, 6, 30)),   # no 31 June -> Tuesday 30 June
    (D(2026, 7, 8), 1, D(2026, 8, 10)),    # 8 August is a Saturday
    (D(2026, 11, 12), 2, D(2027, 1, 12)),  # across the year end
    (D(2024, 2, 29), 12, D(2025, 2, 28)),  # a year from a leap day
])
def test_months_end_on_the_same_day_number(start, months, expected):
    assert TenantCalendar().add_months(start, months) == expected


def test_negative_terms_are_refused():
    with pytest.raises(ValidationFailed):
        TenantCalendar().add_working_days(D(2026, 1, 2), -1)


def test_for_tenant_uses_its_local_holidays_and_aran_flag():
    tenant = make_tenant(local_holidays={"2026": ["2026-05-11", "2026-09-08"]}, aran=True)
    cal = TenantCalendar.for_tenant(tenant)
    assert not cal.is_working_day(D(2026, 9, 8))
    assert not cal.is_working_day(D(2026, 6, 17))
    assert cal.is_working_day(D(2025, 12, 26))


class TestMaximumResolutionTerm:
    cal = TenantCalendar()

    def test_without_suspension(self):
        # Application registered Monday 2 March 2026, 3 months: Tuesday 2 June 2026.
        assert self.cal.max_resolution_date(D(2026, 3, 2), 3) == D(2026, 6, 2)

    def test_answered_requeriment_adds_the_days_it_lasted(self):
        # Requeriment notified 10 March, answered 20 March: 10 days -> Friday 12 June.
        assert self.cal.max_resolution_date(D(2026, 3, 2), 3, [(D(2026, 3, 10), D(2026, 3, 20))]) == D(2026, 6, 12)

    def test_unanswered_requeriment_suspends_until_its_term_runs_out(self):
        notified = D(2026, 3, 10)
        runs_out = self.cal.add_working_days(notified, 10)
        assert runs_out == D(2026, 3, 24)  # 11, 12, 13, 16, 17, 18, 19, 20, 23, 24
        # 14 days suspended: 2 June + 14 = Tuesday 16 June.
        assert self.cal.max_resolution_date(D(2026, 3, 2), 3, [(notified, runs_out)]) == D(2026, 6, 16)

    def test_overlapping_suspensions_count_once_and_the_end_moves_to_a_working_day(self):
        periods = [(D(2026, 3, 15), D(2026, 3, 25)), (D(2026, 3, 10), D(2026, 3, 20))]
        # 10 to 25 March = 15 days: Wednesday 17 June; in the Val d'Aran that is a holiday.
        assert self.cal.max_resolution_date(D(2026, 3, 2), 3, periods) == D(2026, 6, 17)
        assert TenantCalendar(aran=True).max_resolution_date(D(2026, 3, 2), 3, periods) == D(2026, 6, 18)

    def test_a_suspension_after_the_term_ran_out_changes_nothing(self):
        assert self.cal.max_resolution_date(D(2026, 3, 2), 3, [(D(2026, 7, 1), D(2026, 7, 5))]) == D(2026, 6, 2)

    def test_a_suspension_ending_before_it_starts_is_refused(self):
        with pytest.raises(ValidationFailed):
            self.cal.max_resolution_date(D(2026, 3, 2), 3, [(D(2026, 3, 20), D(2026, 3, 10))])


def test_silence_effects():
    assert silence_effect(on_application=True) is SilenceEffect.POSITIVE  # e.g. llicència d'obres
    assert silence_effect(on_application=True, exception=True) is SilenceEffect.NEGATIVE  # e.g. grants
    assert silence_effect(on_application=False) is SilenceEffect.NEGATIVE
    assert silence_effect(on_application=False, unfavourable_ex_officio=True) is SilenceEffect.LAPSE


# -- gee deadline ------------------------------------------------------------------------------


def _gee(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
           "GEE_INSTANCE_DIR": tempfile.mkdtemp(prefix="gee-cli-")}
    gee = Path(sys.executable).parent / "gee"
    return subprocess.run([str(gee), *args], capture_output=True, text=True, env=env, timeout=120)


def test_gee_deadline_prints_only_the_last_day():
    """The real console script: nothing on stdout but the date (so scripts can use it)."""
    result = _gee("deadline", "--start", "2026-03-30", "--working-days", "10")
    assert (result.returncode, result.stdout) == (0, "2026-04-15\n")


def test_gee_deadline_months_end_on_the_last_day_when_the_day_is_missing(app):
    from webapp.cli import main

    months = app.test_cli_runner().invoke(main, ["deadline", "--start", "2026-01-31", "--months", "1"])
    assert months.stdout == "2026-03-02\n"  # 28 Feb 2026 is Saturday: next working day is Monday 2 March


def test_gee_deadline_refuses_bad_input_on_stderr(app):
    from webapp.cli import main

    runner = app.test_cli_runner()
    none = runner.invoke(main, ["deadline", "--start", "2026-03-30"])
    assert none.exit_code == 2 and none.stdout == "" and "--working-days" in none.stderr
    bad_date = runner.invoke(main, ["deadline", "--start", "30/03/2026", "--natural-days", "10"])
    assert bad_date.exit_code == 2 and bad_date.stdout == ""
    unknown = runner.invoke(main, ["deadline", "--start", "2026-03-30", "--natural-days", "10", "--tenant", "no-such"])
    assert unknown.exit_code == 1 and unknown.stdout == "" and "no-such" in unknown.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["--natural-days", "10", "--start", "2026-03-26"], "2026-04-07\n"),
    (["--working-days", "2", "--start", "2026-05-08", "--local-holiday", "2026-05-11"], "2026-05-13\n"),
    (["--working-days", "5", "--start", "2025-12-22", "--aran"], "2025-12-30\n"),
    (["--working-days", "2", "--start", "2026-05-08", "--tenant", "ajt-festes"], "2026-05-14\n"),
    (["--working-days", "2", "--start", "2026-05-08", "--tenant", "ajt-festes", "--local-holiday", "2026-05-13"],
     "2026-05-15\n"),
])
def test_gee_deadline_options(app, args, expected):
    from webapp.cli import main

    make_tenant("ajt-festes", local_holidays={"2026": ["2026-05-11", "2026-05-12"]})
    db.session.commit()
    result = app.test_cli_runner().invoke(main, ["deadline", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == expected


@pytest.mark.parametrize(("extra", "expected"), [
    # Val d'Aran: 26 December is a working day there (Decret of the Generalitat: 17 June instead).
    # From Monday 22 December 2025, five working days: 23 (1), 24 (2), 25 Christmas holiday,
    # 26 (3), weekend, 29 (4), 30 (5) -> Tuesday 30 December (elsewhere in Catalonia: the 31st).
    ([], "2025-12-30\n"),
    # Plus a local holiday on Monday 29: 23, 24, 26, 30, 31 -> still the Aran calendar, the 31st.
    (["--local-holiday", "2025-12-29"], "2025-12-31\n"),
])
def test_gee_deadline_uses_the_tenants_aran_calendar(app, extra, expected):
    from webapp.cli import main

    make_tenant("ajt-aran", dir3="L01250999", aran=True)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        main, ["deadline", "--start", "2025-12-22", "--working-days", "5", "--tenant", "ajt-aran", *extra])
    assert result.exit_code == 0, result.output
    assert result.stdout == expected
