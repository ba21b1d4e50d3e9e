"""Two embedded sweeps at once (two processes without Redis): each claims its own batches of due
timers (FOR UPDATE SKIP LOCKED on PostgreSQL), both make progress, and every timer fires once."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from engine.audit.trail import AuditEvent
from engine.base.clock import as_utc
from engine.base.context import Context
from engine.base.db import db
from engine.process.instances import tasks as instances
from engine.process.instances import timer_sweep as timers
from engine.process.models import Timer
from engine.tenancy.models import Tenant
from tests.conftest import settings_changed
from tests.engine_helpers import make_version

INSTANCES = 60
BATCH = 5


def test_two_racing_sweeps_fire_every_timer_exactly_once(app: Flask, tenant: Tenant) -> None:
    version = make_version(tenant.id, "worker_cheap")  # start -> timer (PT1S) -> end
    ids = [int(instances.start_instance(Context.system(tenant.id, "test"), version)["instance_id"])
           for _ in range(INSTANCES)]
    latest_due = as_utc(db.session.scalar(select(func.max(Timer.due_at)).where(Timer.instance_id.in_(ids))))
    assert latest_due is not None
    moment = latest_due + timedelta(seconds=1)
    db.session.rollback()
    results: list[timers.SweepResult] = []
    errors: list[BaseException] = []
    ready = threading.Barrier(2)

    def sweeper() -> None:
        try:
            with app.app_context():  # its own session, its own connection
                ready.wait()
                results.append(timers.sweep(moment, batch=BATCH))
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    with settings_changed(app, redis_url=None):
        threads = [threading.Thread(target=sweeper) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(r.failed for r in results) == [0, 0]
    if db.engine.dialect.name == "postgresql":  # SQLite lets one writer at a time: there one sweep may do it all
        assert all(r.fired > 0 for r in results), f"one sweep made no progress: {results}"
    assert sum(r.fired for r in results) == INSTANCES
    fired = dict(db.session.execute(
        select(AuditEvent.object_id, func.count()).where(AuditEvent.action == "timer.fired",
                                                        AuditEvent.object_id.in_([str(i) for i in ids]))
        .group_by(AuditEvent.object_id)).all())
    assert fired == {str(i): 1 for i in ids}
    states = db.session.execute(select(Timer.state).where(Timer.instance_id.in_(ids))).scalars().all()
    assert states == ["fired"] * INSTANCES
    assert timers.sweep(moment + timedelta(seconds=1)).due_instances == 0  # nothing left to claim
