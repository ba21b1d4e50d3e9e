"""Real components the tests talk to, and what to do when one is missing.

Locally a missing PostgreSQL, Redis or Chromium skips the tests that need it; with CI=true
it fails them, so a green CI always means the real component was exercised.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask

#: "gw0", "gw1"… when pytest-xdist runs the suite in several processes, else None.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def per_worker_redis_url(url: str, step: int = 1) -> str:
    """Shift the Redis database number by the xdist worker index so workers share no queue
    (the app's REDIS_URL counts up from its number, the tests' own Redis counts down from 15)."""
    if not XDIST_WORKER:
        return url
    base, _, number = url.rpartition("/")
    index = int(XDIST_WORKER.removeprefix("gw"))
    return f"{base}/{(int(number or 0) + step * index) % 16}"


POSTGRES_URL = os.environ.get("GEE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = per_worker_redis_url(os.environ.get("GEE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), step=-1)
CHROMIUM = os.environ.get("GEE_TEST_CHROMIUM", "/usr/bin/chromium")


def missing(component: str, why: str) -> None:
    message = f"{component} is not available: {why}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a missing component fails the run)")
    pytest.skip(message)


def postgres_url() -> str:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        missing("PostgreSQL", str(exc).splitlines()[0])
    return POSTGRES_URL


def redis_url() -> str:
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        missing("Redis", str(exc))
    return REDIS_URL


def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        missing("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    return CHROMIUM


@contextmanager
def throwaway_postgres_database(prefix: str = "gee_tmp") -> Iterator[str]:
    """A brand-new empty database on the test PostgreSQL server, dropped afterwards; yields its URL."""
    from engine.base.db import throwaway_postgres_database as throwaway

    with throwaway(postgres_url(), prefix) as url:
        yield url


@contextmanager
def postgres_app(pool_size: int = 10) -> Iterator[Flask]:
    """Its own app on a throwaway PostgreSQL database with the schema created: for tests of
    row locks and concurrent transactions, whatever database the main suite runs on."""
    import dataclasses

    from engine.base.db import db
    from tests.conftest import settings_for_tests
    from webapp import create_app

    with throwaway_postgres_database() as url:
        settings = dataclasses.replace(settings_for_tests(), database_url=url)
        app = create_app(settings, {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": pool_size, "max_overflow": 0}})
        with app.app_context():
            db.create_all()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def at_once(app: Flask, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together, each in its own app context (and session); each
    result is a value or the exception."""
    from engine.base.db import db

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                results[i] = calls[i]()
            except Exception as exc:
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_queued_jobs() -> None:
    """With Redis configured, the app queued its background jobs: run them here as a worker would
    (GEE's worker class in burst mode, in the test's app context). Without Redis they already ran
    in-process."""
    from engine.base.jobs import job_queue, redis_connection
    from engine.worker.rq_worker import GeeWorker

    connection = redis_connection()
    if connection is not None:
        GeeWorker([job_queue(connection)], connection=connection).work(burst=True)


def start_next_job_on_a_dying_worker() -> str:
    """A GEE worker takes the next queued job and its host dies before the job commits (no liveness
    key is left behind); returns the job's id. :func:`engine.base.jobs.recover_abandoned_jobs` then
    queues it again."""
    from rq import SimpleWorker

    from engine.base.jobs import WORKERS_KEY, job_queue, redis_connection

    connection = redis_connection()
    assert connection is not None
    queue = job_queue(connection)
    connection.sadd(WORKERS_KEY, "dead-host")
    worker = SimpleWorker([queue], connection=connection, name="dead-host")
    job, _queue = queue.dequeue_any([queue], timeout=None, connection=connection)  # type: ignore[misc]
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)  # what rq does as the job starts
    return str(job.id)


def recover_abandoned() -> list[str]:
    """What the scheduler's sweep does: queue again the jobs of dead workers; returns their ids."""
    from engine.base.jobs import recover_abandoned_jobs, redis_connection

    connection = redis_connection()
    assert connection is not None
    return recover_abandoned_jobs(connection, time.time())
