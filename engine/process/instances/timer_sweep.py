"""The timer sweeper: due Timer rows -> batches claimed with SKIP LOCKED -> fire_timers.

Timers fire in batches: a batch is one unit of work that claims up to ``CLAIM_BATCH`` due timers
with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite, which lets one writer at a time,
reads them plainly) and fires their instances, whose writes are staged and made together at the
end (:mod:`batch_writes`). An instance that fails (an error of the engine, not of its process,
which is an incident the instance keeps) undoes the whole batch, which runs again without it:
it stays pending for the next sweep and the others fire. A savepoint per instance would cost two
round trips each for what almost never happens. Batches running at once take disjoint timers:
none waits on another, and no timer fires twice. With Redis the sweep only counts the due timers
and enqueues enough batch jobs for them (``timer-batch-<n>``, deduplicated: a second sweep while
they are queued adds none), which any number of workers run; without it the sweep runs the
batches itself.

The database is the record: a Timer stays ``pending`` until its instance really fired it, so
a job lost with Redis, or a worker killed mid-batch (its transaction rolled back, its locks
released), leaves the timers due and a later batch claims them. Firing is idempotent (a fired
timer no longer waits), so a timer swept twice never advances its instance twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from math import ceil
from typing import Any

from sqlalchemy import distinct, func, select

from engine.base import unit_of_work
from engine.base.clock import as_utc, utcnow
from engine.base.db import db
from engine.base.jobs import enqueue_many, recover_abandoned_jobs, redis_connection
from engine.process.instances import batch_writes
from engine.process.instances import tasks as instances
from engine.process.models import ProcessInstance, Timer

log = logging.getLogger("gee.timers")

#: Every timer job's id starts so: an abandoned one is dropped and swept afresh (recover_abandoned).
TIMER_JOB_PREFIX = "timer-"
SWEEP_LIMIT = 100_000
#: Due timers one batch claims (and fires) in one transaction.
CLAIM_BATCH = 200


def batch_job_id(number: int) -> str:
    return f"{TIMER_JOB_PREFIX}batch-{number}"


def _moment(swept_at: str | None) -> datetime:
    """The sweep's moment, or now if later (a job that waited in the queue fires what fell due meanwhile)."""
    return max(as_utc(datetime.fromisoformat(swept_at)) or utcnow(), utcnow()) if swept_at else utcnow()


def fire_due_batch(swept_at: str, batch: int = CLAIM_BATCH) -> int:
    """Job: claim up to ``batch`` due timers and fire their instances in this job's unit of work;
    returns how many instances it advanced. Idempotent: what it cannot claim (fired, or locked by
    another batch running now) it leaves alone."""
    return _fire_batch(_moment(swept_at), batch, set())[1]


class _InstanceFailed(Exception):
    """Firing one instance of a batch raised: the batch is undone and runs again without it."""

    def __init__(self, instance_id: int) -> None:
        super().__init__(instance_id)
        self.instance_id = instance_id


def _fire_batch(now: datetime, limit: int, failed: set[int]) -> tuple[int, int]:
    """One batch as a unit of work of its own (a savepoint inside a job's unit), run again
    without each instance that fails (added to ``failed``); returns how many instances it
    claimed (those that failed included) and how many it advanced; see :func:`_fire_claimed`."""
    failures = 0
    while True:
        try:
            claimed, advanced = unit_of_work.run_in_transaction(partial(_fire_claimed, now, limit - failures, failed))
            return claimed + failures, advanced
        except _InstanceFailed as failure:
            failed.add(failure.instance_id)
            failures += 1


def _due_filter(now: datetime) -> tuple[Any, ...]:
    return (Timer.state == "pending", Timer.due_at <= now, ProcessInstance.status.not_in(("completed", "cancelled")))


def count_due(now: datetime) -> tuple[int, int]:
    """How many pending timers are due at ``now``, and in how many instances."""
    timers, instances_due = db.session.execute(
        select(func.count(), func.count(distinct(Timer.instance_id)))
        .select_from(Timer)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(*_due_filter(now))
    ).one()
    unit_of_work.end_read()
    return int(timers), int(instances_due)


def claim_due(now: datetime, limit: int, skip: Collection[int] = ()) -> list[tuple[int, int]]:
    """(tenant_id, instance_id) of up to ``limit`` pending timers due at ``now``, most overdue
    first, their rows locked until this unit of work ends; rows another transaction has locked
    are skipped, and so are the instances in ``skip``."""
    query = (
        select(Timer.tenant_id, Timer.instance_id)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(*_due_filter(now))
        .order_by(Timer.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Timer)
    )
    if skip:
        query = query.where(Timer.instance_id.not_in(skip))
    return list(dict.fromkeys((tenant_id, instance_id) for tenant_id, instance_id in db.session.execute(query)))


def _fire_claimed(now: datetime, limit: int, failed: set[int]) -> tuple[int, int]:
    """One batch: claim due timers (not of the instances in ``failed``) and fire their
    instances; returns how many instances it claimed and how many of them it advanced. The
    claimed instances are locked and read together, and what they write is written set-based
    at the end (see :mod:`batch_writes`). An instance that raises stops the batch with
    :class:`_InstanceFailed` (a lost race goes up as it is: the whole entry point runs again)."""
    claimed, advanced = claim_due(now, limit, failed), 0
    if not claimed:
        return 0, 0
    with batch_writes.batch() as writes:
        locked = instances.lock_for_runs(instance_id for _tenant_id, instance_id in claimed)
        writes.load_pending_timers(instance.id for instance, _tenant in locked)
        for instance, tenant in locked:
            try:
                with writes.instance():
                    advanced += instances.fire_locked_timers(instance, tenant, now) > 0
            except Exception as exc:
                if unit_of_work.is_lost_race(exc):
                    raise
                log.exception("firing the timers of instance %s failed; its batch runs again without it", instance.id)
                raise _InstanceFailed(instance.id) from exc
    return len(claimed), advanced


def recover_abandoned(now: datetime) -> int:
    """Jobs whose worker died (its process gone, or its heartbeat expired before ``now``) run
    again: timer jobs are dropped so this sweep enqueues them afresh from the database (the dead
    batch's rows were unlocked by its rollback), other
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
    #: Batch jobs this sweep enqueued (with Redis; those still queued from before are not counted).
    enqueued: int = 0


def sweep(now: datetime | None = None, limit: int = SWEEP_LIMIT, batch: int = CLAIM_BATCH) -> SweepResult:
    """Fire the timers due at ``now`` in batches of ``batch`` (see the module's doc).

    With Redis: enqueue ``ceil(due / batch)`` batch jobs (up to ``limit`` timers), deduplicated by
    their number. Without Redis: run the batches here; one instance failing does not stop the
    others (its timer stays pending and the next sweep tries again).
    """
    moment = as_utc(now) or utcnow()
    recovered = recover_abandoned(moment)
    if redis_connection() is not None:
        due_timers, due = count_due(moment)
        jobs = ceil(min(due_timers, limit) / batch)
        enqueued = enqueue_many(fire_due_batch, [((moment.isoformat(), batch), batch_job_id(number))
                                                 for number in range(jobs)])
        return SweepResult(due, recovered, 0, enqueued=len(enqueued))
    swept, fired, failed = 0, 0, set[int]()
    while swept < limit:
        claimed, advanced = _fire_batch(moment, min(batch, limit - swept), failed)
        if not claimed:
            break
        swept, fired = swept + claimed, fired + advanced
    return SweepResult(swept, recovered, len(failed), fired)


__all__ = ["CLAIM_BATCH", "SweepResult", "batch_job_id", "claim_due", "count_due", "fire_due_batch",
           "recover_abandoned", "sweep"]
