"""The scheduler loop: one active at a time across hosts, held by a Redis lock with expiry.

Every ``interval`` seconds the lock holder (renewing the lock as it goes) sweeps:
due timers (``timer-batch-<n>`` jobs, each firing a batch of them), expired electronic notifications, settled
notifications whose process still waits, slow steps, e-office receipts and signature verifications whose job was lost
(:func:`engine.process.instances.tasks.left_for_worker`), overdue tasks to escalate, webhook deliveries due again,
edicts whose exposure is over (taken off the board with their diligència,
:mod:`engine.noticeboard.closing`), once a week each tenant's e-mail of legal terms at risk
(:mod:`engine.control.weekly_digest`), and once a night (after
``INTEGRITY_HOUR`` Europe/Madrid) the integrity checks and the sealing of every tenant's audit
chain head (:mod:`engine.worker.anchoring`). Every piece of work is a deduplicated,
idempotent job, so a sweep that overlaps another (a lock lost during a long pause) does no harm.

Without Redis there is nothing to share: the loop runs every job in-process, no lock needed
(one embedded process). If the lock holder dies, its lock expires after ``lock_ttl`` seconds
(15 by default) and another scheduler takes over. Each sweep first runs again the jobs a dead
worker abandoned (:func:`engine.base.jobs.recover_abandoned_jobs`).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask

from engine.base import unit_of_work
from engine.base.clock import MADRID, as_utc, local_date, utcnow
from engine.base.jobs import enqueue, redis_connection
from engine.control import weekly_digest
from engine.documents import signature_verification as verifications
from engine.inbox import overdue_escalation as deadlines
from engine.noticeboard import closing as exposures
from engine.notifications import alerts as notices
from engine.notifications import notifications
from engine.process.instances import tasks as instances
from engine.process.instances import timer_sweep as timers
from engine.registry import receipt_job as receipts
from engine.webhooks import delivery as webhooks
from engine.worker import anchoring, integrity

log = logging.getLogger("gee.scheduler")

LOCK_NAME = "gee:scheduler:lock"
#: Seconds a scheduler lock outlives its holder when the holder dies without releasing it.
LOCK_TTL = 15.0
INTEGRITY_HOUR = 2


class SchedulerLock:
    """``SET lock token NX PX ttl``; renewed only by its holder (token compare in Lua)."""

    _RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, connection: Any, ttl_seconds: float = 30.0, name: str = LOCK_NAME):
        self.connection, self.ttl_ms, self.name = connection, int(ttl_seconds * 1000), name
        self.token = uuid.uuid4().hex

    def hold(self) -> bool:
        """Take the lock or renew it; False while another scheduler holds it."""
        if self.connection.eval(self._RENEW, 1, self.name, self.token, self.ttl_ms):
            return True
        return bool(self.connection.set(self.name, self.token, nx=True, px=self.ttl_ms))

    def release(self) -> None:
        self.connection.eval(self._RELEASE, 1, self.name, self.token)


@dataclass
class TickResult:
    held: bool
    timers: int = 0
    expiries: int = 0
    continuations: int = 0
    escalations: int = 0
    digests: int = 0
    exposures: int = 0
    webhooks: int = 0
    #: Slow steps, e-office receipts and signature verifications whose job Redis lost (enqueued again).
    left_for_workers: int = 0
    integrity: bool = False
    errors: list[str] = field(default_factory=list)


def _each(result: TickResult, items: list[Any], job: Callable[[Any], object]) -> int:
    for item in items:
        try:
            job(item)
        except Exception as exc:  # in-process jobs: one failure (rolled back by its unit) does not stop the sweep
            result.errors.append(f"{item}: {exc}")
            log.exception("scheduled work on %s failed", item)
    return len(items)


def integrity_due(now: datetime) -> bool:
    """The nightly check runs once per Europe/Madrid day, from INTEGRITY_HOUR on."""
    if now.astimezone(MADRID).hour < INTEGRITY_HOUR:
        return False
    last = as_utc(integrity.last_run_at())
    return last is None or local_date(last) < local_date(now)


def sweep_all(now: datetime | None = None) -> TickResult:
    """One round of scheduled work, without the lock (the caller holds it or runs embedded)."""
    moment = as_utc(now) or utcnow()
    stamp = moment.isoformat()
    result = TickResult(held=True)
    swept = timers.sweep(moment)
    result.timers, result.errors = swept.due_instances, [f"{swept.failed} timer jobs failed"] if swept.failed else []
    expiries = notifications.due_expiries(moment)
    result.expiries = _each(result, expiries, lambda e: enqueue(
        notices.expire_notification, e.tenant_id, e.notification_id, stamp, job_id=f"expire-{e.notification_id}"))
    waiting = notifications.waiting_continuations()
    result.continuations = _each(result, waiting, lambda w: enqueue(
        notices.continue_after_notification, w[0], w[1], job_id=f"continue-notification-{w[1]}"))
    overdue = deadlines.overdue_tasks(moment)
    result.escalations = _each(result, overdue, lambda o: enqueue(
        deadlines.escalate_task, o[0], o[1], job_id=f"escalate-{o[1]}"))
    result.digests = _each(result, weekly_digest.digests_due(moment), lambda d: enqueue(
        weekly_digest.send_weekly_digest, d[0], d[1], job_id=f"term-digest-{d[0]}-{d[1]}"))
    result.exposures = _each(result, exposures.ended_edicts(moment), lambda e: enqueue(
        exposures.close_exposure, e[0], e[1], stamp, job_id=f"edict-close-{e[1]}"))
    result.webhooks = _each(result, webhooks.due_deliveries(moment), lambda w: enqueue(
        webhooks.deliver, w[0], w[1], job_id=f"webhook-{w[1]}"))
    result.left_for_workers = _each(result, instances.left_for_worker(), lambda i: enqueue(
        instances.run_engine_steps, i[0], i[1], job_id=instances.steps_job_id(i[1])))
    result.left_for_workers += _each(result, receipts.missing_receipts(moment), lambda r: enqueue(
        receipts.issue_receipt, r[0], r[1], None, job_id=receipts.receipt_job_id(r[1])))
    result.left_for_workers += _each(result, verifications.pending_verifications(), lambda v: enqueue(
        verifications.verify_signatures, v[0], v[1], job_id=verifications.verification_job_id(v[1])))
    if integrity_due(moment):
        day = local_date(moment).isoformat()
        _each(result, [day], lambda d: enqueue(integrity.run_integrity_checks, job_id=f"integrity-{d}"))
        _each(result, [day], lambda d: enqueue(anchoring.seal_all_tenants, job_id=f"audit-seal-{d}"))
        result.integrity = True
    unit_of_work.end_read()
    return result


def _redis_away(exc: Exception) -> bool:
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow

    return isinstance(exc, RedisDown | RedisSlow)


class Scheduler:
    def __init__(self, app: Flask, interval: float = 5.0, lock_ttl: float | None = None):
        self.app, self.interval = app, interval
        with app.app_context():
            connection = redis_connection()
        # The lock outlives a dead holder by at most ``lock_ttl`` (15 s by default, three sweeps
        # at least): then another host's scheduler takes over.
        ttl = lock_ttl if lock_ttl is not None else max(LOCK_TTL, 3 * interval)
        self.lock = SchedulerLock(connection, ttl) if connection is not None else None

    def tick(self, now: datetime | None = None) -> TickResult:
        """Sweep once if this scheduler holds (or takes) the lock."""
        if self.lock is not None and not self.lock.hold():
            return TickResult(held=False)
        with self.app.app_context():
            return sweep_all(now)

    def run(self, stop: threading.Event | None = None, parent_pid: int | None = None) -> None:
        """Tick until ``stop`` is set (or the parent process, when given, has died)."""
        stop = stop or threading.Event()
        log.info("scheduler started (%s)", "Redis lock" if self.lock else "embedded, jobs in-process")
        try:
            while not stop.is_set():
                if parent_pid is not None and os.getppid() != parent_pid:
                    log.info("worker process gone: scheduler stops")
                    break
                try:
                    result = self.tick()
                    if result.held and (result.timers or result.expiries or result.escalations or result.exposures
                                        or result.errors):
                        log.info("scheduler tick: %s", result)
                except Exception as exc:
                    if _redis_away(exc):  # logged at each sweep until Redis answers; the loop goes on
                        log.warning("scheduler tick skipped: Redis is unreachable (%s)", exc)
                    else:
                        log.exception("scheduler tick failed")
                stop.wait(self.interval)
        finally:
            if self.lock is not None:
                self.lock.release()


__all__ = ["LOCK_NAME", "Scheduler", "SchedulerLock", "TickResult", "integrity_due", "sweep_all"]
