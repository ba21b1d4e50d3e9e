"""Background jobs: rq over Redis when REDIS_URL is set, otherwise run in-process.

The database is the record; Redis only carries work. Job functions are plain engine
functions named by import path, run inside an application context.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, has_app_context

from engine.base.settings import current_settings

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

log = logging.getLogger("gee.jobs")

QUEUE_NAME = "gee"
#: Retries with backoff before a job lands in rq's failed registry.
RETRY_INTERVALS = [10, 60, 300]
#: GEE workers (``python worker.py``) name themselves in this set and keep ``ALIVE_PREFIX + name``
#: alive (expiring after ``ALIVE_TTL`` seconds) while their process lives, job or no job: a job
#: started by a worker of the set whose key has expired was abandoned by a dead process.
WORKERS_KEY = "gee:workers"
ALIVE_PREFIX = "gee:worker:alive:"
ALIVE_TTL = 10
#: A job whose worker died this many times while running it goes to the failed jobs instead.
MAX_ABANDONED = 3


def job_path(func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


_app_factory: Callable[[], Flask] | None = None


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """Name the factory of the application jobs run in when no application context is open (rq workers).

    :mod:`engine.app` registers itself on import, so this package need not import the whole engine.
    """
    global _app_factory
    _app_factory = factory


@lru_cache(maxsize=1)
def _worker_app() -> Flask:
    if _app_factory is None:
        raise RuntimeError("no application factory: import engine.app before running jobs")
    return _app_factory()


def run_job(path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Entry point executed by rq workers (and in-process): resolve and call inside an app context.

    The job is one unit of work (see :mod:`engine.base.unit_of_work`): the job function only
    flushes, this edge commits once and runs it again after a lost race. Run in-process from
    inside another unit, it is a savepoint of that one.
    """
    from engine.base.unit_of_work import run_in_transaction

    func = resolve(path)
    if has_app_context():
        return run_in_transaction(lambda: func(*args, **kwargs))
    with _worker_app().app_context():
        return run_in_transaction(lambda: func(*args, **kwargs))


def redis_connection() -> Redis | None:
    """The Redis of REDIS_URL, or None in embedded mode (jobs in-process)."""
    redis_url = current_settings().redis_url
    return _connection_for(redis_url) if redis_url else None


@lru_cache(maxsize=4)
def _connection_for(redis_url: str) -> Redis:
    """One client (and connection pool) per URL and process, reused by every enqueue."""
    from redis import Redis

    # A Redis that went away makes a call fail within seconds instead of hanging on connect.
    return Redis.from_url(redis_url, socket_connect_timeout=5, health_check_interval=30)


def job_queue(connection: Redis) -> Queue:
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection)


#: A job in one of these states is still going to run: enqueueing it again is a no-op.
_LIVE = ("queued", "scheduled", "started", "deferred")


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None, **kwargs: Any) -> str | None:
    """Run ``func(*args, **kwargs)`` in the background; returns the rq job id, or None when run in-process.

    Inside a unit of work (see :mod:`engine.base.unit_of_work`) the job is enqueued once that
    unit has committed (in-process, it runs right away inside the unit). With ``job_id``
    the job is deduplicated: while a job of that id is queued, scheduled or running, enqueueing
    it again does nothing (a finished or failed one is replaced). By convention a job's first
    argument is its tenant id, kept in ``job.meta["tenant_id"]`` for the admin page.
    """
    connection = redis_connection()
    if connection is None:
        _run_in_process(func, args, kwargs, job_id)
        return None
    from engine.base import unit_of_work

    if unit_of_work.active():  # a worker must not run it before what it reads is committed
        deferred_id = job_id or uuid.uuid4().hex
        unit_of_work.after_commit(lambda: enqueue(func, *args, job_id=deferred_id, **kwargs))
        return deferred_id
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow

    try:
        return _enqueue_in_redis(connection, func, args, kwargs, job_id)
    except (RedisDown, RedisSlow) as exc:
        # Redis went away: the work is not dropped (nor the request that asked for it failed
        # after its data was committed); it runs here, as without Redis.
        log.error("Redis is unreachable (%s): job %s runs in-process", exc, job_id or job_path(func))
        _run_in_process(func, args, kwargs, job_id)
        return None


#: Told of each in-process job that runs as a unit of its own: (path, args, kwargs, job id, the error or None).
_in_process_outcome: Callable[[str, list[Any], dict[str, Any], str | None, BaseException | None], None] | None = None


def report_in_process_jobs_to(
    callback: Callable[[str, list[Any], dict[str, Any], str | None, BaseException | None], None],
) -> None:
    """Name who keeps the failures of in-process jobs (:mod:`engine.worker.failed_jobs`, on import)."""
    global _in_process_outcome
    _in_process_outcome = callback


def _run_in_process(func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], job_id: str | None) -> None:
    """Run the job here. Inside a unit of work it is part of the caller's work (a failure is the
    caller's); as a unit of its own (after the caller committed, or a sweep) a failure is logged and
    kept for the jobs page, where it is retried: the caller's work stands, so its request does not fail."""
    from engine.base import unit_of_work

    path = job_path(func)
    if unit_of_work.active() or _in_process_outcome is None:
        run_job(path, list(args), kwargs)
        return
    try:
        run_job(path, list(args), kwargs)
    except Exception as exc:
        log.exception("In-process job %s failed; kept for the jobs page", job_id or path)
        _report(path, list(args), kwargs, job_id, exc)
        return
    _report(path, list(args), kwargs, job_id, None)


def _report(path: str, args: list[Any], kwargs: dict[str, Any], job_id: str | None,
            error: BaseException | None) -> None:
    if _in_process_outcome is None:
        return
    if has_app_context():
        _in_process_outcome(path, args, kwargs, job_id, error)
        return
    with _worker_app().app_context():
        _in_process_outcome(path, args, kwargs, job_id, error)


def _enqueue_in_redis(connection: Redis, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any],
                      job_id: str | None) -> str:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    if job_id is not None:
        try:
            existing = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            existing = None
        if existing is not None:
            if existing.get_status() in _LIVE:
                return job_id
            existing.delete()
    job = job_queue(connection).enqueue(run_job, **_job_options(func, args, kwargs, job_id))
    return str(job.id)


def _job_options(func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any],
                 job_id: str | None) -> dict[str, Any]:
    """How every job is enqueued: by import path, with retries and the tenant in its meta."""
    from rq import Retry

    tenant_id = args[0] if args and isinstance(args[0], int) else None
    return {
        "args": (job_path(func), list(args), kwargs),
        "job_id": job_id,
        "retry": Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
        "meta": {"tenant_id": tenant_id, "func": job_path(func)},
        "description": job_path(func),
    }


def alive_key(worker_name: str) -> str:
    return f"{ALIVE_PREFIX}{worker_name}"


def recover_abandoned_jobs(connection: Redis, now: float, drop_prefixes: tuple[str, ...] = ()) -> list[str]:
    """Jobs left "started" by a dead worker are queued again; returns their ids.

    A job is abandoned when its GEE worker's liveness key has expired (the process died: a
    kill -9, a lost host; noticed within ``ALIVE_TTL`` seconds) or when rq's own heartbeat of
    the job expired before ``now`` (any worker). Jobs are idempotent, so running one again
    does no harm. Jobs whose id starts with one of ``drop_prefixes`` are removed instead (the
    caller enqueues them afresh from the database, as the timer sweep does).

    rq's own clean-up (``StartedJobRegistry.cleanup``) is not used: it deletes nothing and
    fails on an abandoned job whose execution record already expired ("Execution … not found
    in Redis"), which stopped every sweep. Each entry here is handled on its own; a broken one
    is logged and removed, never raised.
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    queue = job_queue(connection)
    registry = queue.started_job_registry
    members: set[bytes] = cast(Any, connection.smembers(WORKERS_KEY))
    workers = {name.decode() for name in members}
    entries: list[tuple[bytes, float]] = cast(Any, connection.zrange(registry.key, 0, -1, withscores=True))
    recovered: list[str] = []
    for raw, score in entries:
        job_id = registry.parse_job_id(raw.decode())
        try:
            job = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            connection.zrem(registry.key, raw)
            continue
        except Exception:  # an unreadable job: drop its entry, keep sweeping
            log.exception("abandoned job %s cannot be read; its entry is removed", job_id)
            connection.zrem(registry.key, raw)
            continue
        worker = job.worker_name or ""
        dead = worker in workers and not connection.exists(alive_key(worker))
        if job.get_status(refresh=False) != JobStatus.STARTED:
            if score < now:
                connection.zrem(registry.key, raw)  # a leftover entry of a finished job
            continue
        if not dead and score >= now:
            continue
        why = "its worker's process is gone" if dead else "its heartbeat expired"
        times = int(job.meta.get("abandoned", 0)) + 1
        give_up = times > MAX_ABANDONED and not job_id.startswith(drop_prefixes)
        with connection.pipeline() as pipe:
            pipe.zrem(registry.key, raw)
            pipe.delete(job.execution_registry.key)
            if dead:
                pipe.srem(WORKERS_KEY, worker)
            if job_id.startswith(drop_prefixes):
                pipe.delete(job.key)
            elif give_up:  # it kills its worker every time: an admin decides (Background jobs page)
                _record_failure(job, f"AbandonedJobError: the worker died {times} times while running it", pipe)
            pipe.execute()
        if give_up:
            log.error("job %s was abandoned %d times (%s); moved to the failed jobs", job_id, times, why)
            continue
        log.warning("job %s was abandoned by worker %s (%s); it runs again", job_id, worker or "?", why)
        if not job_id.startswith(drop_prefixes):
            job.meta["abandoned"] = times
            job.save_meta()
            queue.enqueue_job(job)
        recovered.append(job_id)
    return recovered


def _record_failure(job: Any, exc_string: str, pipe: Any) -> None:
    """Mark ``job`` failed with ``exc_string`` as its error, as rq does for its own failures."""
    try:
        from rq.job_lifecycle import record_job_failure  # rq >= 3
    except ImportError:  # rq 2
        from rq.job import JobStatus

        job.set_status(JobStatus.FAILED, pipeline=pipe)
        job_queue(job.connection).failed_job_registry.add(job, exc_string=exc_string, pipeline=pipe)
        return
    record_job_failure(job, exc_string, pipe)


#: Jobs enqueued per Redis pipeline by :func:`enqueue_many`.
PIPELINE_CHUNK = 1000


def enqueue_many(func: Callable[..., Any], calls: Sequence[tuple[Sequence[Any], str]]) -> list[str]:
    """Enqueue ``func(*args)`` for many ``(args, job_id)`` at once, deduplicated like :func:`enqueue`;
    returns the ids of the jobs enqueued (those already live are left alone).

    Needs Redis (see :func:`redis_connection`). Two pipelines per chunk instead of several round
    trips per job: one reads the jobs' statuses, one enqueues the ones not live.
    """
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("enqueue_many needs REDIS_URL; without it call enqueue per job")
    from rq.job import Job

    queue = job_queue(connection)
    enqueued: list[str] = []
    for start in range(0, len(calls), PIPELINE_CHUNK):
        chunk = calls[start:start + PIPELINE_CHUNK]
        with connection.pipeline(transaction=False) as pipe:
            for _args, job_id in chunk:
                pipe.hget(Job.key_for(job_id), "status")
            statuses = pipe.execute()
        wanted = [(args, job_id, status) for (args, job_id), status in zip(chunk, statuses, strict=True)
                  if status is None or status.decode() not in _LIVE]
        ended = [job_id for _args, job_id, status in wanted if status is not None]
        for job in Job.fetch_many(ended, connection=connection):  # finished or failed: replaced, as in enqueue
            if job is not None:
                job.delete()
        fresh = []
        for args, job_id, _status in wanted:
            options = _job_options(func, args, {}, job_id)
            fresh.append(queue.prepare_data(run_job, options.pop("args"), **options))
        with connection.pipeline() as pipe:
            jobs = queue.enqueue_many(fresh, pipeline=pipe) if fresh else []
            pipe.execute()
        enqueued.extend(str(job.id) for job in jobs)
    return enqueued
