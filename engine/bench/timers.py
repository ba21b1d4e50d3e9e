"""Timers benchmark: how long the real path sweeper -> queue -> job -> fire_timers takes for N
due timers, and how late they fire.

Seeding: under throwaway tenants, one real instance of a cheap process (start -> timer ->
end, ``tests/fixtures/bpmn/worker_cheap.bpmn``) is started per tenant, then copied N times by
the database (its stored state and its Timer row, INSERT ... SELECT), so every copy is a real
instance that the sweeper fires through ``fire_timers``. Then the scheduler's sweep runs until no
timer is pending: with REDIS_URL it enqueues batch jobs and ``workers`` rq worker processes
(``python worker.py --burst --no-scheduler``) run them; without it the batches run in-process.
Lateness = ``fired_at - due_at`` per timer. ``cpu_ms_per_timer`` is the CPU time of the firing
processes (this one and the workers, start-up included) per timer fired: unlike the rates it
hardly depends on what else the machine runs. Everything created is deleted at the end.

For scale, the same run then pushes as many no-op jobs (up to ``BASELINE_JOBS``) through the
same path (queue, workers started the same way, one unit of work each):
``baseline_noop_jobs_per_s`` is what firing timers could reach if firing cost nothing, and
``vs_noop`` the ratio of the two rates.

Stopped early (SIGTERM, e.g. from ``timeout``, or Ctrl-C) it stops the workers and reports what
was measured until then with ``"complete": false`` and the timers still pending.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from math import ceil
from typing import Any

from sqlalchemy import delete, func, insert, literal, select

from engine.audit.trail import AuditEvent, AuditHead
from engine.base import unit_of_work
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.jobs import enqueue, enqueue_many, redis_connection
from engine.base.settings import PROJECT_ROOT, current_settings
from engine.process.definition.specs import build_spec, serialize_spec
from engine.process.instances import tasks as instances
from engine.process.instances.timer_sweep import CLAIM_BATCH, batch_job_id, sweep
from engine.process.models import CompletedStep, ProcessInstance, ProcessModel, ProcessVersion, Timer
from engine.tenancy.models import Tenant

CHEAP_BPMN = PROJECT_ROOT / "tests" / "fixtures" / "bpmn" / "worker_cheap.bpmn"
PROCESS_ID = "worker_cheap"
#: Due instances fired per in-process sweep, so an early stop is noticed between sweeps.
IN_PROCESS_SWEEP = 500
#: Seconds between progress lines while workers run.
PROGRESS_EVERY = 60
#: No-op jobs of the baseline at most: its rate is steady long before 100k (which would take minutes).
BASELINE_JOBS = 20_000


def _seed_tenant(count: int) -> tuple[int, int]:
    """A tenant with ``count`` copies of one started instance waiting on its timer."""
    code = f"bench-t-{uuid.uuid4().hex[:8]}"
    tenant = Tenant(code=code, name="Timers benchmark", dir3="L0BENCH00")
    db.session.add(tenant)
    xml = CHEAP_BPMN.read_text(encoding="utf-8")
    spec, subprocess_specs = build_spec(xml, {}, PROCESS_ID)
    db.session.flush()
    model = ProcessModel(tenant_id=tenant.id, key=PROCESS_ID, name="Timers benchmark")
    db.session.add(model)
    db.session.flush()
    version = ProcessVersion(model_id=model.id, number=1, content_hash=hashlib.sha256(xml.encode()).hexdigest(),
                             bpmn_xml=xml, dmn_files={}, forms={}, templates={},
                             spec_json=serialize_spec(spec, subprocess_specs), lanes={})
    db.session.add(version)
    unit_of_work.run_in_transaction(db.session.flush)
    first = instances.start_instance(Context.system(tenant.id, "bench"), version)["instance_id"]
    timer = db.session.execute(select(Timer).where(Timer.instance_id == first)).scalar_one()
    _copy_instance(tenant.id, first, timer, count)
    unit_of_work.run_in_transaction(db.session.flush)
    return tenant.id, model.id


_COPIED = ("tenant_id", "process_version_id", "status", "state_json", "version", "started_by", "created_at",
           "updated_at")


def _copy_instance(tenant_id: int, first: int, timer: Timer, count: int) -> None:
    """``count - 1`` copies of instance ``first`` (the tenant's only one) and of its Timer row, made
    by the database (INSERT ... SELECT, doubling the tenant's instances each time): nothing but
    ``log2(count)`` statements travels, however many are seeded."""
    have = 1
    while have < count:
        copies = min(have, count - have)
        columns = [getattr(ProcessInstance, name) for name in _COPIED]
        db.session.execute(insert(ProcessInstance).from_select(
            list(_COPIED), select(*columns).where(ProcessInstance.tenant_id == tenant_id).limit(copies)))
        have += copies
    db.session.execute(insert(Timer).from_select(
        ["tenant_id", "instance_id", "task_uuid", "element_id", "due_at", "state"],
        select(ProcessInstance.tenant_id, ProcessInstance.id, literal(timer.task_uuid), literal(timer.element_id),
               literal(timer.due_at, Timer.due_at.type), literal("pending"))
        .where(ProcessInstance.tenant_id == tenant_id, ProcessInstance.id != first)))


def _cleanup(tenant_id: int, model_id: int) -> None:
    for table in (CompletedStep, Timer, ProcessInstance, AuditEvent):
        db.session.execute(delete(table).where(table.tenant_id == tenant_id))
    db.session.execute(delete(AuditHead).where(AuditHead.tenant_id == tenant_id))
    db.session.execute(delete(ProcessVersion).where(ProcessVersion.model_id == model_id))
    db.session.execute(delete(ProcessModel).where(ProcessModel.id == model_id))
    db.session.execute(delete(Tenant).where(Tenant.id == tenant_id))
    unit_of_work.run_in_transaction(db.session.flush)


def _pending(tenant_ids: list[int]) -> int:
    count = db.session.scalar(select(func.count()).select_from(Timer).where(
        Timer.tenant_id.in_(tenant_ids), Timer.state == "pending"))
    unit_of_work.discard()
    return int(count or 0)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _start_workers(count: int) -> list[subprocess.Popen[bytes]]:

    settings = current_settings()
    env = {**os.environ, "REDIS_URL": settings.redis_url or "", "DATABASE_URL": settings.database_url}
    command = [sys.executable, str(PROJECT_ROOT / "worker.py"), "--burst", "--no-scheduler"]
    return [subprocess.Popen(command, env=env, cwd=PROJECT_ROOT,  # noqa: S603 - our own worker
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def _stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    """rq's warm shutdown (SIGTERM: finish the current job), then kill what is left."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _drop_queued_jobs(count: int) -> None:
    """After an early stop: the batch jobs still queued must not outlive the benchmark (a worker
    skips a queued job whose hash is gone)."""
    connection = redis_connection()
    if connection is None:
        return
    from rq.job import Job

    connection.delete(*[Job.key_for(batch_job_id(n)) for n in range(ceil(count / CLAIM_BATCH))])


def noop_job(tenant_id: int) -> int:
    """The baseline's job: nothing but the way through the queue, a worker and a unit of work."""
    return tenant_id


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the rq workers, start-up included)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _noop_jobs_per_second(count: int, workers: int, in_rq: bool) -> tuple[float, float]:
    """No-op jobs per second through the same path, and the CPU seconds they took (see :func:`_cpu_seconds`)."""
    began, cpu_began = time.perf_counter(), _cpu_seconds()
    if in_rq:
        run = uuid.uuid4().hex[:8]
        enqueue_many(noop_job, [((0,), f"bench-noop-{run}-{n}") for n in range(count)])
        procs = _start_workers(workers)
        try:
            for proc in procs:
                proc.wait()
        finally:
            _stop_workers(procs)
    else:
        for _ in range(count):
            enqueue(noop_job, 0)
    return count / (time.perf_counter() - began), _cpu_seconds() - cpu_began


def run_timers_bench(count: int, tenants: int = 4, workers: int = 2,
                     progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    say = progress or (lambda _msg: None)

    redis_url = current_settings().redis_url
    per_tenant = [count // tenants + (1 if i < count % tenants else 0) for i in range(tenants)]
    seeded = [_seed_tenant(n) for n in per_tenant if n]
    tenant_ids = [t for t, _ in seeded]
    previous_handler = signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C
    procs: list[subprocess.Popen[bytes]] = []
    try:
        latest_due = as_utc(db.session.scalar(select(func.max(Timer.due_at)).where(Timer.tenant_id.in_(tenant_ids))))
        assert latest_due is not None
        wait = (latest_due - utcnow()).total_seconds()
        if wait > 0:
            time.sleep(wait + 0.01)
        say(f"seeded {count} due timers in {len(tenant_ids)} tenants; mode: {'rq' if redis_url else 'in-process'}")
        began, cpu_began = time.perf_counter(), _cpu_seconds()
        sweeps = 0
        complete = True
        try:
            while pending := _pending(tenant_ids):
                say(f"{time.perf_counter() - began:8.1f} s: {count - pending} fired, {pending} pending")
                sweeps += 1
                if not redis_url:
                    sweep(utcnow(), limit=IN_PROCESS_SWEEP)
                    continue
                sweep(utcnow())
                procs = _start_workers(workers)
                while any(proc.poll() is None for proc in procs):
                    try:
                        procs[0].wait(timeout=PROGRESS_EVERY)
                    except subprocess.TimeoutExpired:
                        pending = _pending(tenant_ids)
                        say(f"{time.perf_counter() - began:8.1f} s: {count - pending} fired, {pending} pending")
        except KeyboardInterrupt:
            complete = False
            say("stopped before every timer fired: reporting what was measured until now")
        _stop_workers(procs)
        elapsed, cpu = time.perf_counter() - began, _cpu_seconds() - cpu_began
        unit_of_work.discard()
        if not complete:
            _drop_queued_jobs(count)
        noop_jobs = min(count, BASELINE_JOBS)
        noop = _noop_jobs_per_second(noop_jobs, workers, bool(redis_url)) if complete else None
        if noop is not None:
            say(f"baseline: {noop[0]:.1f} no-op jobs per second")
        rows = db.session.execute(select(Timer.due_at, Timer.fired_at).where(
            Timer.tenant_id.in_(tenant_ids), Timer.state == "fired")).all()
        fired_per_s = round(len(rows) / elapsed, 1) if elapsed else 0.0
        lateness = [((as_utc(f) or utcnow()) - (as_utc(d) or utcnow())) / timedelta(milliseconds=1) for d, f in rows]
        return {
            "bench": "timers", "database": db.engine.dialect.name, "mode": "rq" if redis_url else "in-process",
            "workers": workers if redis_url else 1, "timers": count, "fired": len(rows),
            "pending": _pending(tenant_ids), "complete": complete, "sweeps": sweeps,
            "seconds": round(elapsed, 2), "per_second": fired_per_s, "fired_per_s": fired_per_s,
            "baseline_noop_jobs_per_s": round(noop[0], 1) if noop is not None else None,
            "vs_noop": round(fired_per_s / noop[0], 2) if noop is not None and fired_per_s else None,
            "cpu_ms_per_timer": round(1000 * cpu / len(rows), 2) if rows else None,
            "baseline_noop_jobs": noop_jobs if noop is not None else None,
            "noop_cpu_ms_per_job": round(1000 * noop[1] / noop_jobs, 2) if noop is not None else None,
            "lateness_p50_ms": round(_percentile(lateness, 0.5), 1),
            "lateness_p99_ms": round(_percentile(lateness, 0.99), 1),
            "lateness_max_ms": round(max(lateness, default=0.0), 1),
            "lateness_p99_s": round(_percentile(lateness, 0.99) / 1000, 2),
        }
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        _stop_workers(procs)
        unit_of_work.discard()
        for tenant_id, model_id in seeded:
            _cleanup(tenant_id, model_id)


__all__ = ["run_timers_bench"]
