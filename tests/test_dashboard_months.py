"""The dashboard's months count what a clerk would count on a calendar of Catalonia: an expedient
opened at 00:30 on 1 April (Madrid time, 22:30 UTC the day before) belongs to April."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

from engine.base.db import db
from engine.documents.closing import close_expedient
from engine.expedients.expedients import open_expedient
from engine.expedients.statistics import monthly_flow
from tests.conftest import ctx_for, login, make_tenant, make_user

#: (subject, opened at UTC, closed at UTC or None); Madrid is UTC+1 in winter, UTC+2 from the last
#: Sunday of March to the last Sunday of October.
EXPEDIENTS = [
    ("June 30 at 23:30 Madrid: before the twelve months", datetime(2025, 6, 30, 21, 30, tzinfo=UTC), None),
    ("July 1 at 00:30 Madrid: the first month", datetime(2025, 6, 30, 22, 30, tzinfo=UTC), None),
    (
        "January 31 at 23:30 Madrid",
        datetime(2026, 1, 31, 22, 30, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 30, tzinfo=UTC),
    ),  # closed March 1 at 00:30 Madrid
    (
        "February 1 at 00:30 Madrid",
        datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
        datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
    ),  # closed April 1 at 00:30 Madrid (summer time)
    ("April 1 at 00:30 Madrid", datetime(2026, 3, 31, 22, 30, tzinfo=UTC), None),
    ("April 30 at 23:59 Madrid", datetime(2026, 4, 30, 21, 59, tzinfo=UTC), datetime(2026, 5, 2, 9, 0, tzinfo=UTC)),
    ("June 15", datetime(2026, 6, 15, 8, 0, tzinfo=UTC), None),
]


def _world():
    tenant = make_tenant()
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01250002", ine_code="250002")
    user = make_user("secretaria", tenant, roles=("secretari",))
    ctx = ctx_for(user, tenant)
    for subject, opened_at, closed_at in EXPEDIENTS:
        expedient = open_expedient(ctx, subject, opened_at=opened_at)
        if closed_at is not None:
            close_expedient(ctx, expedient.id)
            expedient.closed_at = closed_at
    stranger = make_user("estrany", other, roles=("secretari",))
    open_expedient(ctx_for(stranger, other), "Another town's", opened_at=datetime(2026, 6, 3, tzinfo=UTC))
    db.session.commit()
    return ctx


def test_month_counts_follow_the_catalan_calendar():
    ctx = _world()
    flow = monthly_flow(ctx, date(2026, 6, 20))
    assert [row.month for row in flow] == [
        date(2025, 7, 1),
        *(date(2025, m, 1) for m in range(8, 13)),
        *(date(2026, m, 1) for m in range(1, 7)),
    ]
    counted = {
        (row.month.year, row.month.month): (row.opened, row.resolved) for row in flow if row.opened or row.resolved
    }
    assert counted == {
        (2025, 7): (1, 0),
        (2026, 1): (1, 0),
        (2026, 2): (1, 0),
        (2026, 3): (0, 1),
        (2026, 4): (2, 1),
        (2026, 5): (0, 1),
        (2026, 6): (1, 0),
    }


def test_the_dashboard_chart_counts_this_months_expedients(client):
    tenant = make_tenant()
    user = make_user("secretaria", tenant, roles=("secretari",))
    ctx = ctx_for(user, tenant)
    for subject in ("Opened today", "Opened and closed today"):
        expedient = open_expedient(ctx, subject)
    close_expedient(ctx, expedient.id)
    db.session.commit()
    login(client, "secretaria")
    html = client.get("/dashboard/").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)[1]
    opened, resolved = (series["values"] for series in json.loads(block)["flow"]["series"])
    assert opened == [0] * 11 + [2] and resolved == [0] * 11 + [1]
