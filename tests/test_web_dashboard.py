"""Quadre de comandament: figures computed from records and projections, shown as charts and tables."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.base.db import db
from engine.documents.closing import close_expedient
from engine.expedients.expedients import open_expedient
from engine.expedients.statistics import dashboard, monthly_flow
from engine.process.models import HumanTask, ProcessInstance, ProcessModel, ProcessVersion
from tests.conftest import ctx_for, login, make_tenant, make_user

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def _model(tenant_id, key, name):
    model = ProcessModel(tenant_id=tenant_id, key=key, name=name)
    db.session.add(model)
    db.session.flush()
    return model


def _overdue_task(ctx, expedient, model, due_at, name="Informe tècnic"):
    version = ProcessVersion(model_id=model.id, number=1, content_hash=f"h{model.id}", bpmn_xml="<x/>",
                             spec_json="{}")
    db.session.add(version)
    db.session.flush()
    instance = ProcessInstance(tenant_id=ctx.tenant_id, process_version_id=version.id, expedient_id=expedient.id,
                               status="waiting", state_json="{}")
    db.session.add(instance)
    db.session.flush()
    task = HumanTask(tenant_id=ctx.tenant_id, instance_id=instance.id, expedient_id=expedient.id,
                     task_uuid=f"u{expedient.id}", element_id="informe", name=name, role="tecnic", due_at=due_at)
    db.session.add(task)
    db.session.flush()
    return task


def _closed(ctx, model, subject, opened_at, days):
    expedient = open_expedient(ctx, subject, process_model_id=model.id, opened_at=opened_at)
    close_expedient(ctx, expedient.id)
    expedient.closed_at = opened_at + timedelta(days=days)
    return expedient


@pytest.fixture
def figures_world():
    tenant = make_tenant()
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01250002", ine_code="250002")
    user = make_user("secretaria", tenant, roles=("secretari",))
    stranger = make_user("estrany", other, roles=("secretari",))
    ctx, other_ctx = ctx_for(user, tenant), ctx_for(stranger, other)
    obres = _model(tenant.id, "obres", "Llicència d'obres")
    generica = _model(tenant.id, "generica", "Instància genèrica")
    # Open: two obres (one with an overdue task), one genèrica.
    first = open_expedient(ctx, "Obra 1", process_model_id=obres.id, opened_at=datetime(2026, 5, 4, tzinfo=UTC))
    open_expedient(ctx, "Obra 2", process_model_id=obres.id, opened_at=datetime(2026, 6, 1, tzinfo=UTC))
    open_expedient(ctx, "Instància", process_model_id=generica.id, opened_at=datetime(2026, 6, 2, tzinfo=UTC))
    _overdue_task(ctx, first, obres, NOW - timedelta(days=3))
    # Closed genèriques: 10, 20 and 40 days -> median 20.
    for days, month in ((10, 1), (20, 2), (40, 3)):
        _closed(ctx, generica, f"Tancat {days}", datetime(2026, month, 5, tzinfo=UTC), days)
    # Another municipality's figures must not leak in.
    open_expedient(other_ctx, "Aliè", opened_at=datetime(2026, 6, 3, tzinfo=UTC))
    db.session.commit()
    return ctx, user


def test_the_figures_of_one_municipality(figures_world):
    ctx, _user = figures_world
    figures = dashboard(ctx, NOW)
    by_procedure = {row.procedure: row.counts for row in figures.states}
    assert by_procedure == {"Instància genèrica": {"E01": 1, "E02": 3}, "Llicència d'obres": {"E01": 2}}
    assert figures.open_total == 3
    assert [(t.task_name, t.expedient_number, t.days_overdue) for t in figures.overdue] == [
        ("Informe tècnic", "2026/000001", 3)]
    assert [(r.procedure, r.median_days, r.resolved) for r in figures.resolution] == [("Instància genèrica", 20, 3)]


def test_monthly_flow_covers_twelve_months_oldest_first(figures_world):
    ctx, _user = figures_world
    flow = monthly_flow(ctx, date(2026, 6, 15))
    assert len(flow) == 12 and flow[0].month == date(2025, 7, 1) and flow[-1].month == date(2026, 6, 1)
    table = {row.month.month: (row.opened, row.resolved) for row in flow if row.opened or row.resolved}
    # Opened: Jan, Feb, Mar (closed ones), May, Jun x2; resolved: Jan 15, Feb 25, Apr 14.
    assert table == {1: (1, 1), 2: (1, 1), 3: (1, 0), 4: (0, 1), 5: (1, 0), 6: (2, 0)}


def test_the_page_shows_tables_and_chart_data_for_every_role(client, figures_world):
    _ctx, _user = figures_world
    login(client, "secretaria")
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for table in ("table-flow", "table-states", "table-overdue", "table-resolution"):
        assert f'id="{table}"' in html
    assert "Informe tècnic" in html and "Aliè" not in html
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)[1]
    data = json.loads(block)
    assert len(data["flow"]["labels"]) == 12
    assert sorted(data["states"]["labels"]) == ["Instància genèrica", "Llicència d'obres"]
    assert 'src="/static/js/dashboard.js"' in html and "<script>" not in html


def test_the_dashboard_needs_a_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
