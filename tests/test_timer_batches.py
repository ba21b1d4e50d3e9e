"""Timers fire in batches: with Redis the sweep enqueues a few batch jobs (deduplicated) that a
real rq worker runs, each claiming due timers with SKIP LOCKED; without Redis the sweep runs the
batches itself. Either way every timer fires once, and an instance that fails is left alone
while the others of its batch fire."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from engine.audit.trail import AuditEvent, verify_chain
from engine.base.clock import as_utc
from engine.base.context import Context
from engine.base.db import db
from engine.process.instances import tasks as instances
from engine.process.instances import timer_sweep as timers
from engine.process.models import Incident, ProcessInstance, Timer
from engine.tenancy.models import Tenant
from tests.conftest import make_tenant, settings_changed
from tests.engine_helpers import make_version
from tests.services import redis_url, run_queued_jobs

BATCH = 5


@pytest.fixture(params=["redis", "in-process"])
def mode(request: pytest.FixtureRequest, app: Flask) -> Iterator[str]:
    """The same sweep with Redis (batch jobs run by an rq worker) and without (batches in-process)."""
    if request.param == "in-process":
        with settings_changed(app, redis_url=None):
            yield request.param
        return
    from redis import Redis

    url = redis_url()
    Redis.from_url(url).flushdb()
    with settings_changed(app, redis_url=url):
        yield request.param
    Redis.from_url(url).flushdb()


def _start(tenant: Tenant, fixture: str, count: int, data: dict[str, int] | None = None) -> list[int]:
    version = make_version(tenant.id, fixture)
    return [int(instances.start_instance(Context.system(tenant.id, "test"), version, data=data)["instance_id"])
            for _ in range(count)]


def _all_due(ids: list[int]) -> datetime:
    latest = as_utc(db.session.scalar(select(func.max(Timer.due_at)).where(Timer.instance_id.in_(ids))))
    assert latest is not None
    db.session.rollback()
    return latest + timedelta(seconds=1)


def _queued_timer_jobs() -> list[str]:
    from engine.base.jobs import job_queue, redis_connection

    connection = redis_connection()
    assert connection is not None
    return sorted(j for j in job_queue(connection).job_ids if j.startswith(timers.TIMER_JOB_PREFIX))


def _fired_events_of(tenant: Tenant) -> int:
    return int(db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action == "timer.fired")) or 0)


def _fired_events(ids: list[int]) -> dict[str, int]:
    return dict(db.session.execute(
        select(AuditEvent.object_id, func.count()).where(AuditEvent.action == "timer.fired",
                                                        AuditEvent.object_id.in_([str(i) for i in ids]))
        .group_by(AuditEvent.object_id)).all())  # fmt: skip


def _timer_states(ids: list[int]) -> set[str]:
    return set(db.session.execute(select(Timer.state).where(Timer.instance_id.in_(ids))).scalars())


def test_a_batch_sweep_fires_every_timer_exactly_once(tenant: Tenant, mode: str) -> None:
    neighbour = make_tenant("ajt-veina", "Ajuntament Veí", dir3="L01258888", ine_code="258888")
    db.session.commit()
    ids = _start(tenant, "worker_cheap", 8) + _start(neighbour, "worker_cheap", 4)  # start -> timer (PT1S) -> end
    moment = _all_due(ids)
    first = timers.sweep(moment, batch=BATCH)
    assert first.due_instances == 12
    if mode == "redis":
        assert first.enqueued == 3  # ceil(12 / 5) batch jobs, not one job per instance
        assert _queued_timer_jobs() == [timers.batch_job_id(n) for n in range(3)]
        again = timers.sweep(moment + timedelta(seconds=1), batch=BATCH)  # while they are still queued
        assert again.enqueued == 0 and len(_queued_timer_jobs()) == 3
        run_queued_jobs()
    else:
        assert first.fired == 12
    assert _fired_events(ids) == {str(i): 1 for i in ids}
    assert _timer_states(ids) == {"fired"}
    statuses = db.session.execute(select(ProcessInstance.status).where(ProcessInstance.id.in_(ids))).scalars()
    assert set(statuses) == {"completed"}
    for municipality in (tenant, neighbour):  # each batch's events appended to each tenant's own chain, intact
        assert verify_chain(municipality.id) is None
    assert _fired_events_of(neighbour) == 4
    later = timers.sweep(moment + timedelta(seconds=2), batch=BATCH)
    assert (later.due_instances, later.enqueued) == (0, 0)
    run_queued_jobs()
    assert _fired_events(ids) == {str(i): 1 for i in ids}  # swept again: nothing fires twice


def test_an_instance_that_fails_is_left_alone_while_its_batch_fires(tenant: Tenant, mode: str) -> None:
    healthy = _start(tenant, "timer_then_script", 4, {"divisor": 2})
    failing = _start(tenant, "timer_then_script", 1, {"divisor": 0})  # its script fails after the timer
    broken = _start(tenant, "worker_cheap", 1)  # its stored state cannot even be read
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == broken[0]).values(state_json="{broken"))
    db.session.commit()
    ids = healthy + failing + broken
    moment = _all_due(ids)
    result = timers.sweep(moment, batch=10)  # all six in one batch
    run_queued_jobs()
    if mode == "in-process":
        assert (result.fired, result.failed) == (5, 1)
    assert _fired_events(healthy + failing) == {str(i): 1 for i in healthy + failing}
    assert _fired_events(broken) == {}
    statuses = dict(db.session.execute(
        select(ProcessInstance.id, ProcessInstance.status).where(ProcessInstance.id.in_(ids))).all())
    assert statuses == {**{i: "completed" for i in healthy}, failing[0]: "incident", broken[0]: "waiting"}
    incident = db.session.execute(select(Incident).where(Incident.instance_id == failing[0])).scalar_one()
    assert (incident.element_id, incident.state) == ("compute", "open")
    assert _timer_states(broken) == {"pending"}  # rolled back alone: the next sweep tries it again
    assert timers.sweep(moment + timedelta(seconds=1), batch=10).due_instances == 1
