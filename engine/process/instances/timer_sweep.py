"""The timer sweeper: due Timer rows -> one deduplicated job per instance -> fire_timers.

The database is the record: a Timer stays ``pending`` until its instance really fired it, so
a job lost with Redis, or a worker killed mid-job (its transaction rolled back), leaves the
timer due and the next sweep enqueues it again. Firing is idempotent (a fired timer no
longer waits), so a timer swept twice never advances its instance twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.base import unit_of_work
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.jobs import enqueue, enqueue_many, recover_abandoned_jobs, redis_connection
from engine.process.instances import tasks as instances
from engine.process.models import ProcessInstance, Timer

log = logging.getLogger("gee.timers")

TIMER_JOB_PREFIX = "timer-"
SWEEP_LIMIT = 100_000


def timer_job_id(instance_id: int) -> str:
    return f"{TIMER_JOB_PREFIX}{instance_id}"


def fire_due_timers(tenant_id: int, instance_id: int, swept_at: str | None = None) -> int:
    """Job: fire the instance's timers due at the sweep (or now, if later); idempotent."""
    moment = max(as_utc(datetime.fromisoformat(swept_at)) or utcnow(), utcnow()) if swept_at else utcnow()
    return instances.fire_timers(Context.system(tenant_id, "timer-sweeper"), instance_id, moment)


def due_instances(now: datetime, limit: int = SWEEP_LIMIT) -> list[tuple[int, int]]:
    """(tenant_id, instance_id) with a pending timer due at ``now``, most overdue first."""
    rows = db.session.execute(
        select(Timer.tenant_id, Timer.instance_id)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(Timer.state == "pending", Timer.due_at <= now,
               ProcessInstance.status.not_in(("completed", "cancelled")))
        .group_by(Timer.tenant_id, Timer.instance_id)
        .order_by(func.min(Timer.due_at))
        .limit(limit)
    ).all()
    unit_of_work.end_read()  # end the read transaction before the jobs run (in-process mode)
    return [(tenant_id, instance_id) for tenant_id, instance_id in rows]


def recover_abandoned(now: datetime) -> int:
    """Jobs whose worker died (its process gone, or its heartbeat expired before ``now``) run
    again: timer jobs are dropped so this sweep enqueues them afresh from the database, other
    jobs are queued again as they were (see :func:`engine.base.jobs.recover_abandoned_jobs`)."""
    connection = redis_connection()
    if connection is None:
        return 0
    return len(recover_abandoned_jobs(connection, now.timestamp(), drop_prefixes=(TIMER_JOB_PREFIX,)))


@dataclass(frozen=True)
class SweepResult:
    due_instances: int
    recovered: int
    failed: int


def sweep(now: datetime | None = None, limit: int = SWEEP_LIMIT) -> SweepResult:
    """Enqueue one ``timer-<instance id>`` job per instance with a due timer.

    With Redis the jobs are enqueued in pipelined batches (still one deduplicated job per
    instance). Without Redis they run here, one after the other; one instance failing does not
    stop the others (its timer stays pending and the next sweep tries again).
    """
    moment = as_utc(now) or utcnow()
    recovered = recover_abandoned(moment)
    due = due_instances(moment, limit)
    if redis_connection() is not None:
        enqueue_many(fire_due_timers, [((tenant_id, instance_id, moment.isoformat()), timer_job_id(instance_id))
                                       for tenant_id, instance_id in due])
        return SweepResult(len(due), recovered, 0)
    failed = 0
    for tenant_id, instance_id in due:
        try:
            enqueue(fire_due_timers, tenant_id, instance_id, moment.isoformat(), job_id=timer_job_id(instance_id))
        except Exception:  # the job's unit of work rolled back what it did
            failed += 1
            log.exception("firing the timers of instance %s failed", instance_id)
    return SweepResult(len(due), recovered, failed)


__all__ = ["SweepResult", "due_instances", "fire_due_timers", "recover_abandoned", "sweep", "timer_job_id"]
