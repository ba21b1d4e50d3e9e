"""``gee bench requests``: every page and form post is timed on a throwaway database of the configured
kind, the figures end with one JSON line, and the configured database and job queue are left as they were."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from engine.base.db import db
from engine.bench.requests import REQUESTS
from engine.tenancy.models import Tenant
from webapp.cli import main


def _jobs_queued() -> int:
    from engine.base.jobs import job_queue, redis_connection

    connection = redis_connection()
    assert connection is not None
    return len(job_queue(connection))


def test_bench_requests_times_every_request_on_a_throwaway_database(app, with_redis):
    tenants_before = db.session.execute(select(func.count(Tenant.id))).scalar_one()
    result = app.test_cli_runner().invoke(main, ["bench", "requests", "--runs", "3"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["bench"] == "requests" and figures["runs"] == 3 and figures["redis"] is True
    assert set(figures["p95_ms"]) == set(REQUESTS) == set(figures["p50_ms"]) == set(figures["cpu_median_ms"])
    assert all(value > 0 for value in figures["p95_ms"].values())
    assert figures["max_p95_ms"] == max(figures["p95_ms"].values())
    db.session.rollback()
    assert db.session.execute(select(func.count(Tenant.id))).scalar_one() == tenants_before
    assert _jobs_queued() == 0  # the jobs it queued ran against its own database, not left for a worker
