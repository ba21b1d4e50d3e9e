"""CPU time and SQL statements per instance of one batch of due timers fired in-process (the
timer sweep's batch, ``timer_sweep._fire_claimed``) on the configured database; ``--profile``
adds cProfile's listing. CPU time (``time.process_time``) hardly depends on what else the
machine runs, unlike the wall-clock time printed beside it.

    DATABASE_URL=… .venv/bin/python tests/bench_timer_batch.py [N] [--profile]

Seeds N instances of ``worker_cheap.bpmn`` under a throwaway tenant (as ``gee bench timers``
does), fires them in one batch after a warm-up batch of 5, and deletes everything. Prints one
JSON line.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select

from engine.base import unit_of_work
from engine.base.clock import as_utc, utcnow
from engine.base.db import db
from engine.bench.timers import _cleanup, _seed_tenant
from engine.process.instances import timer_sweep
from engine.process.models import Timer
from webapp import create_app


def main(count: int, profile: bool) -> dict[str, Any]:
    with create_app().app_context():
        seeded = [_seed_tenant(count), _seed_tenant(5)]
        try:
            due = as_utc(db.session.scalar(select(func.max(Timer.due_at)).where(
                Timer.tenant_id.in_([tenant_id for tenant_id, _model in seeded]))))
            assert due is not None
            moment = max(due, utcnow()) + timedelta(seconds=1)
            # warm up what a worker that already fired has cached (the parsed spec, compiled SQL)
            unit_of_work.run_in_transaction(lambda: timer_sweep._fire_claimed(moment, 5, set()))
            statements = [0]

            def count_statement(*_args: Any) -> None:
                statements[0] += 1

            event.listen(db.engine, "before_cursor_execute", count_statement)
            profiler = cProfile.Profile()
            cpu, wall = time.process_time(), time.perf_counter()
            if profile:
                profiler.enable()
            claimed, fired = unit_of_work.run_in_transaction(lambda: timer_sweep._fire_claimed(moment, count, set()))
            profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            event.remove(db.engine, "before_cursor_execute", count_statement)
            if profile:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            return {"bench": "timer_batch", "database": db.engine.dialect.name, "claimed": claimed, "fired": fired,
                    "cpu_ms_per_firing": round(1000 * cpu / max(fired, 1), 2),
                    "wall_ms_per_firing": round(1000 * wall / max(fired, 1), 2),
                    "statements_per_firing": round(statements[0] / max(fired, 1), 1)}
        finally:
            unit_of_work.discard()
            for tenant_id, model_id in seeded:
                _cleanup(tenant_id, model_id)


if __name__ == "__main__":
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    print(json.dumps(main(int(numbers[0]) if numbers else 200, "--profile" in sys.argv)))
