"""Background jobs: in-process without Redis, through a real rq worker with Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.audit import AuditEvent
from engine.base.db import db
from engine.base.jobs import enqueue
from tests.conftest import make_tenant, settings_changed
from tests.services import redis_url

ROOT = Path(__file__).resolve().parent.parent


def record_ping(tenant_id: int) -> None:
    """A job with a visible effect: an audit event."""
    from engine.audit import record
    from engine.base.context import Context

    record(Context.system(tenant_id, "job"), "job.ping", "tenant", tenant_id)
    db.session.commit()


def test_without_redis_jobs_run_in_process(app):
    tenant = make_tenant()
    db.session.commit()
    with settings_changed(app, redis_url=None):
        assert enqueue(record_ping, tenant.id) is None
    assert db.session.query(AuditEvent).filter_by(action="job.ping").count() == 1


def test_rq_worker_runs_a_queued_job(app):
    url = redis_url()
    tenant = make_tenant()
    db.session.commit()
    from redis import Redis
    from rq import Queue

    Queue("gee", connection=Redis.from_url(url)).empty()
    with settings_changed(app, redis_url=url) as settings:
        job_id = enqueue(record_ping, tenant.id)
    assert job_id
    env = {**os.environ, "REDIS_URL": url, "DATABASE_URL": settings.database_url, "GEE_ENV": "testing"}
    done = subprocess.run([sys.executable, str(ROOT / "worker.py"), "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    db.session.expire_all()
    assert db.session.query(AuditEvent).filter_by(action="job.ping").count() == 1
