"""``gee bench http``: on PostgreSQL it serves the app with gunicorn, times completions and
/me calls, reads the CPU the server spent on them, counts one completion's statements and
measures in-process what no completion can skip (the bound on its ratio to /me); on SQLite it
refuses with a clear message."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from engine.base.db import db, is_postgresql
from engine.tenancy.models import Tenant
from webapp.cli import main


def test_bench_http_reports_rates_and_statements_or_refuses_sqlite(app):
    tenants_before = db.session.execute(select(func.count(Tenant.id))).scalar_one()
    result = app.test_cli_runner().invoke(
        main, ["bench", "http", "--requests", "2", "--rounds", "1", "--concurrency", "1,2"]
    )
    if not is_postgresql():
        assert result.exit_code == 2
        assert "PostgreSQL" in result.output and "Traceback" not in result.output
        return
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["bench"] == "http" and figures["workers"] == 2
    assert set(figures["per_concurrency"]) == {"1", "2"}
    assert figures["completions_per_s"] > 0 and figures["me_per_s"] > 0 and figures["p95_ms"] > 0
    assert figures["ratio"] == round(figures["completions_per_s"] / figures["me_per_s"], 2)
    # CPU the server's workers spent per request, read from /proc (load-independent)
    assert figures["server_cpu_ms_per_completion"] >= 0 and figures["server_cpu_ms_per_me"] >= 0
    assert 0 < figures["statements_per_completion"] <= 8
    # the floor: SpiffWorkflow's step alone and the driver's CPU for the statements of each request
    floor = figures["floor"]
    assert floor["engine_step_cpu_ms"] > 0 and floor["driver_cpu_ms_per_completion"] > 0
    assert floor["driver_cpu_ms_per_me"] > 0 and "ratio_bound" in figures
    db.session.rollback()
    assert db.session.execute(select(func.count(Tenant.id))).scalar_one() == tenants_before  # throwaway tenant gone
