"""Faults with real processes: our own redis-server stopped and started again under a running
worker, and a worker killed with SIGKILL in the middle of a job.

Each test starts its own redis-server on a free port (no persistence) and its own
``python worker.py`` subprocesses; all of them are killed at the end, even on failure. The
database is the suite's (SQLite file or DATABASE_URL), shared with the worker subprocesses.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from engine.audit.trail import AuditEvent
from engine.base.context import Context
from engine.base.db import db
from engine.base.jobs import enqueue
from engine.tenancy.models import Tenant
from tests.conftest import settings_changed
from tests.services import missing

ROOT = Path(__file__).resolve().parent.parent


class OwnRedis:
    """A redis-server of this test alone, on a free port, without persistence."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server", "not on PATH (apt-get install redis-server)")
        self.binary, self.workdir = str(binary), workdir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        from redis import Redis

        client = Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except Exception:
                time.sleep(0.05)
        raise AssertionError("our redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def own_redis(app: Flask, tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        with settings_changed(app, redis_url=server.url):
            yield server
    finally:
        server.stop()


class Workers:
    """``python worker.py`` subprocesses, each in its own process group (killed at the end)."""

    def __init__(self, app: Flask, redis_url: str, logs: Path):
        from engine.base.settings import settings_of

        settings = settings_of(app)
        self.env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": settings.database_url,
                    "GEE_ENV": "testing", "GEE_DOCUMENT_STORE": str(settings.document_store), "GEE_LOG_LEVEL": "INFO"}
        self.logs, self.procs = logs, []  # type: ignore[var-annotated]

    def start(self, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), *args], env=self.env, cwd=ROOT,
                                    start_new_session=True, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc, log

    def kill_all(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):  # the group: the worker and its scheduler
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def workers(app: Flask, own_redis: OwnRedis, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(app, own_redis.url, tmp_path)
    try:
        yield running
    finally:
        running.kill_all()


def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def done_marks(note: str) -> int:
    db.session.rollback()  # see what the worker committed
    return db.session.query(AuditEvent).filter_by(action="job.done", object_id=note).count()


def record_done(tenant_id: int, note: str) -> None:
    """A job: leaves an audit event (the worker's unit of work commits it)."""
    from engine.audit import record

    record(Context.system(tenant_id, "job"), "job.done", "job", note)


def block_first_time(tenant_id: int, note: str, marker: str) -> None:
    """A job that blocks the first time it runs (the worker is killed then); the next run finishes."""
    if not Path(marker).exists():
        Path(marker).write_text("started")
        time.sleep(600)
    record_done(tenant_id, note)


def alive_workers(url: str) -> set[bytes]:
    from redis import Redis

    try:
        return set(Redis.from_url(url, socket_connect_timeout=1).keys("gee:worker:alive:*"))
    except Exception:
        return set()


def slow_record(tenant_id: int, note: str, marker: str) -> None:
    """A job that takes a few seconds (Redis goes away meanwhile), then leaves its audit event."""
    Path(marker).write_text("started")
    time.sleep(3)
    record_done(tenant_id, note)


RECONNECTING = ("Redis is unreachable", "could not connect to Redis")


def test_the_worker_survives_redis_going_away_and_takes_jobs_when_it_is_back(
    tenant: Tenant, own_redis: OwnRedis, workers: Workers, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    proc, log = workers.start("worker", "--no-scheduler")
    assert wait_until(lambda: worker_registered(own_redis.url), 30), log.read_text()
    enqueue(slow_record, tenant.id, "during-outage", str(marker), job_id="during-outage")
    assert wait_until(marker.exists, 30), log.read_text()
    own_redis.stop()  # while the job runs: rq cannot record its end
    # The worker notices and keeps trying, saying so in its log at each attempt.
    assert wait_until(lambda: any(s in log.read_text() for s in RECONNECTING), 30), log.read_text()
    time.sleep(4)
    assert proc.poll() is None, log.read_text()
    own_redis.start()  # empty: no persistence
    enqueue(record_done, tenant.id, "after-restart", job_id="after-restart")
    assert wait_until(lambda: done_marks("after-restart") == 1, 45), log.read_text()
    assert proc.poll() is None
    text = log.read_text()
    assert sum(text.count(s) for s in RECONNECTING) >= 2  # each attempt is logged
    time.sleep(1)
    # The job cut off by the outage did its work once (its unit of work had committed), and the
    # job after the restart once.
    assert (done_marks("during-outage"), done_marks("after-restart")) == (1, 1)


def test_a_job_of_a_killed_worker_is_done_again_within_30_seconds_of_a_worker_coming_back(
    tenant: Tenant, own_redis: OwnRedis, workers: Workers, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    first, first_log = workers.start("first", "--interval", "1")
    assert wait_until(lambda: worker_registered(own_redis.url), 30), first_log.read_text()
    enqueue(block_first_time, tenant.id, "killed-mid-job", str(marker), job_id="killed-mid-job")
    assert wait_until(marker.exists, 30), first_log.read_text()
    os.killpg(first.pid, signal.SIGKILL)  # the host dies: worker, its scheduler and the job at once
    first.wait()
    assert done_marks("killed-mid-job") == 0
    before = alive_workers(own_redis.url)
    _second, second_log = workers.start("second", "--interval", "1")
    # The clock starts when the new worker is up (its start-up time depends on the host's load).
    assert wait_until(lambda: bool(alive_workers(own_redis.url) - before), 60), second_log.read_text()
    started = time.monotonic()
    assert wait_until(lambda: done_marks("killed-mid-job") == 1, 40), second_log.read_text()
    took = time.monotonic() - started
    assert took < 30, f"redone after {took:.0f} s\n{second_log.read_text()}"
    text = second_log.read_text()
    assert "killed-mid-job was abandoned" in text
    assert "scheduler tick failed" not in text and "not found in Redis" not in text, text
    time.sleep(2)
    assert done_marks("killed-mid-job") == 1  # once, not twice


def worker_registered(url: str) -> bool:
    from redis import Redis

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).keys("rq:worker:*"))
    except Exception:
        return False


def test_work_asked_for_while_redis_is_away_is_done_in_process_not_lost(tenant: Tenant, own_redis: OwnRedis) -> None:
    from engine.base.unit_of_work import run_in_transaction

    own_redis.stop()
    # An act that commits, then enqueues its follow-up work (as a page or an API call does):
    # the act does not fail after its data was saved, and the follow-up is done.
    run_in_transaction(lambda: enqueue(record_done, tenant.id, "redis-away", job_id="redis-away"))
    assert done_marks("redis-away") == 1
