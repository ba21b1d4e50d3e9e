"""The timer sweeper: due Timer rows -> one deduplicated job per instance -> fire_timers.

The database is the record: a Timer stays ``pending`` until its instance really fired it, so
a job lost with Redis, or a worker killed mid-job (its transaction rolled back), leaves the
timer due and the next sweep enqueues it again. Firing is idempotent (a fired timer no
longer waits), so a timer swept twice never advances its instance twice.

Without Redis the sweep fires the timers itself, in batches: each batch is one unit of work that
claims up to ``CLAIM_BATCH`` due timers with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL;
SQLite, which lets one writer at a time, reads them plainly) and fires their instances. Two
sweeps running at once (two embedded processes) so take disjoint batches: neither waits on the
other, and no timer fires twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import func, select

from engine.base import unit_of_work
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.jobs import enqueue_many, recover_abandoned_jobs, redis_connection
from engine.process.instances import tasks as instances
from engine.process.models import ProcessInstance, Timer

log = logging.getLogger("gee.timers")

TIMER_JOB_PREFIX = "timer-"
SWEEP_LIMIT = 100_000
#: Due timers one in-process batch claims (and fires) in one transaction.
CLAIM_BATCH = 200


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


def claim_due(now: datetime, limit: int, skip: Collection[int] = ()) -> list[tuple[int, int]]:
    """(tenant_id, instance_id) of up to ``limit`` pending timers due at ``now``, most overdue
    first, their rows locked until this unit of work ends; rows another transaction has locked
    are skipped, and so are the instances in ``skip``."""
    query = (
        select(Timer.tenant_id, Timer.instance_id)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(Timer.state == "pending", Timer.due_at <= now,
               ProcessInstance.status.not_in(("completed", "cancelled")))
        .order_by(Timer.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Timer)
    )
    if skip:
        query = query.where(Timer.instance_id.not_in(skip))
    return list(dict.fromkeys((tenant_id, instance_id) for tenant_id, instance_id in db.session.execute(query)))


def _fire_claimed(now: datetime, limit: int, failed: set[int]) -> tuple[int, int]:
    """One batch: claim due timers and fire their instances; returns how many instances it
    claimed and how many of them it advanced. An instance that fails is rolled back alone (its
    savepoint), noted in ``failed`` and left pending for the next sweep."""
    claimed, advanced = claim_due(now, limit, failed), 0
    for tenant_id, instance_id in claimed:
        try:
            advanced += fire_due_timers(tenant_id, instance_id, now.isoformat()) > 0
        except Exception as exc:
            if unit_of_work.is_lost_race(exc):
                raise  # the whole batch runs again
            failed.add(instance_id)
            log.exception("firing the timers of instance %s failed", instance_id)
    return len(claimed), advanced


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
    #: Instances whose timers this sweep fired itself (without Redis; with it, the jobs do).
    fired: int = 0


def sweep(now: datetime | None = None, limit: int = SWEEP_LIMIT, batch: int = CLAIM_BATCH) -> SweepResult:
    """Enqueue one ``timer-<instance id>`` job per instance with a due timer.

    With Redis the jobs are enqueued in pipelined batches (still one deduplicated job per
    instance). Without Redis they run here, claimed in batches (see the module's doc); one
    instance failing does not stop the others (its timer stays pending and the next sweep tries
    again).
    """
    moment = as_utc(now) or utcnow()
    recovered = recover_abandoned(moment)
    if redis_connection() is not None:
        due = due_instances(moment, limit)
        enqueue_many(fire_due_timers, [((tenant_id, instance_id, moment.isoformat()), timer_job_id(instance_id))
                                       for tenant_id, instance_id in due])
        return SweepResult(len(due), recovered, 0)
    swept, fired, failed = 0, 0, set[int]()
    while swept < limit:
        claimed, advanced = unit_of_work.run_in_transaction(
            partial(_fire_claimed, moment, min(batch, limit - swept), failed))
        if not claimed:
            break
        swept, fired = swept + claimed, fired + advanced
    return SweepResult(swept, recovered, len(failed), fired)


__all__ = ["CLAIM_BATCH", "SweepResult", "claim_due", "due_instances", "fire_due_timers", "recover_abandoned", "sweep",
           "timer_job_id"]
