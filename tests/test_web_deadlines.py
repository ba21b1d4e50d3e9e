"""The deadline calculator page and the inbox traffic light (Ley 39/2015, art. 30)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.base.db import db
from engine.calendar import TenantCalendar
from engine.calendar.deadline_status import DeadlineStatus, deadline_status, explain_term
from tests.conftest import make_tenant, make_user
from tests.web_clerk import login_en

CAL = TenantCalendar()


@pytest.mark.parametrize(("due", "expected"), [
    (None, DeadlineStatus.GREEN),
    (datetime(2026, 3, 2, 8, 59, tzinfo=UTC), DeadlineStatus.RED),  # a minute ago
    (datetime(2026, 3, 2, 18, 0, tzinfo=UTC), DeadlineStatus.AMBER),  # later today
    (datetime(2026, 3, 5, 12, 0, tzinfo=UTC), DeadlineStatus.AMBER),  # Thursday: 3 working days left
    (datetime(2026, 3, 6, 12, 0, tzinfo=UTC), DeadlineStatus.GREEN),  # Friday: 4 working days left
    (datetime(2026, 3, 9, 12, 0, tzinfo=UTC), DeadlineStatus.GREEN),
])
def test_traffic_light(due, expected):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday
    assert deadline_status(due, now, CAL) is expected


def test_weekends_and_holidays_count_against_amber():
    # Thursday 2 April 2026: Good Friday (3) and Easter Monday (6) are holidays in Catalonia,
    # so Wednesday 8 April is only 2 working days away (7 and 8): amber; Friday 10 is 4: green.
    now = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    assert deadline_status(datetime(2026, 4, 8, 9, 0, tzinfo=UTC), now, CAL) is DeadlineStatus.AMBER
    assert deadline_status(datetime(2026, 4, 10, 9, 0, tzinfo=UTC), now, CAL) is DeadlineStatus.GREEN


def test_ten_working_days_over_easter_with_explanation():
    result = explain_term(CAL, date(2026, 3, 27), "working_days", 10)
    assert result.end == date(2026, 4, 14)
    assert result.counting_from == date(2026, 3, 28)
    assert [s.day.isoformat() for s in result.skipped] == [
        "2026-03-28", "2026-03-29", "2026-04-03", "2026-04-04", "2026-04-05", "2026-04-06",
        "2026-04-11", "2026-04-12"]
    reasons = {s.day.isoformat(): str(s.reason) for s in result.skipped}
    assert reasons["2026-03-28"] == "Saturday" and reasons["2026-04-03"].startswith("holiday: ")


def test_month_term_ending_on_a_sunday_moves_to_monday():
    result = explain_term(CAL, date(2026, 1, 31), "months", 1)  # 28 Feb 2026 is a Saturday
    assert result.moved_from == date(2026, 2, 28) and result.end == date(2026, 3, 2)


def test_calculator_page_uses_the_tenant_calendar_and_extra_holidays(client):
    tenant = make_tenant(local_holidays={"2026": ["2026-04-09"]})
    make_user("anna", tenant, ("tramitador",))
    db.session.commit()
    login_en(client, "anna")

    html = client.get("/deadlines?start=2026-03-27&amount=10&unit=working_days&extra=2026-04-10").get_data(
        as_text=True)

    assert 'data-end="2026-04-16"' in html  # two more days: the local and the extra holiday
    assert 'data-skipped="2026-04-09"' in html and "local holiday" in html
    assert 'data-skipped="2026-04-10"' in html and "extra local holiday" in html


def test_calculator_errors_are_readable(client):
    tenant = make_tenant()
    make_user("anna", tenant, ("tramitador",))
    db.session.commit()
    login_en(client, "anna")
    bad_date = client.get("/deadlines?start=2026-02-30&amount=10")
    assert bad_date.status_code == 422 and "Enter a valid date" in bad_date.get_data(as_text=True)
    bad_amount = client.get("/deadlines?start=2026-02-03&amount=0")
    assert bad_amount.status_code == 422 and "The term must be between 1 and" in bad_amount.get_data(as_text=True)
    assert client.get("/deadlines").status_code == 200
