"""CPU time and SQL statements per instance of one batch of due timers fired in-process (the
timer sweep's batch, ``timer_sweep._fire_batch``) on the configured database: ``gee bench
timer-batch [--count N] [--profile]``. CPU time (``time.process_time``) hardly depends on what
else the machine runs, unlike the wall-clock time printed beside it.

Seeds N instances of ``worker_cheap.bpmn`` under a throwaway tenant (as ``gee bench timers``
does), fires them in one batch after a warm-up batch of 5 (what a worker that already fired has
cached: the parsed spec, compiled SQL), and deletes everything.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from engine.base import unit_of_work
from engine.base.clock import as_utc, utcnow
from engine.base.db import db
from engine.bench.timers import _cleanup, _seed_tenant
from engine.process.instances import timer_sweep
from engine.process.models import Timer


def run_timer_batch_bench(count: int, profile: bool = False, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Seed ``count`` due timers, fire them as one batch after a warm-up batch of 5; see the module."""
    seeded = [_seed_tenant(count), _seed_tenant(5)]
    try:
        due = as_utc(db.session.scalar(select(func.max(Timer.due_at)).where(
            Timer.tenant_id.in_([tenant_id for tenant_id, _model in seeded]))))
        if due is None:
            raise RuntimeError("the seeded instances have no pending timer")
        moment = max(due, utcnow()) + timedelta(seconds=1)
        # warm up what a worker that already fired has cached (the parsed spec, compiled SQL)
        timer_sweep._fire_batch(moment, 5, set())
        statements = [0]

        def count_statement(*_args: Any) -> None:
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count_statement)
        profiler = cProfile.Profile()
        cpu, wall = time.process_time(), time.perf_counter()
        if profile:
            profiler.enable()
        claimed, fired = timer_sweep._fire_batch(moment, count, set())
        profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        event.remove(db.engine, "before_cursor_execute", count_statement)
        if profile:
            listing = io.StringIO()
            pstats.Stats(profiler, stream=listing).sort_stats("cumulative").print_stats(45)
            progress(listing.getvalue())
        return {"bench": "timer_batch", "database": db.engine.dialect.name, "claimed": claimed, "fired": fired,
                "cpu_ms_per_firing": round(1000 * cpu / max(fired, 1), 2),
                "wall_ms_per_firing": round(1000 * wall / max(fired, 1), 2),
                "statements_per_firing": round(statements[0] / max(fired, 1), 1)}
    finally:
        unit_of_work.discard()
        for tenant_id, model_id in seeded:
            _cleanup(tenant_id, model_id)
