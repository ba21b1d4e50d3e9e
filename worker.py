"""GEE background worker: ``python worker.py`` (or ``gee worker``).

With REDIS_URL: an rq worker on the "gee" queue, plus the scheduler loop (timer sweeper,
notification expiry, deadline escalation, nightly integrity check) in a child process. Many
hosts may run it: one scheduler is active at a time (a Redis lock with expiry), every worker
takes jobs. When Redis goes away the worker waits for it (with back-off, logging each attempt)
and goes on. ``--no-scheduler`` runs only the rq worker; ``gee scheduler`` only the scheduler.

Without Redis (embedded mode) the web app runs jobs in-process; this command then runs the
scheduler loop alone, whose jobs also run in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import sys

from engine.app import create_engine_app
from engine.base.settings import settings_of

log = logging.getLogger("gee.worker")


def run_scheduler(interval: float = 5.0, parent_pid: int | None = None) -> None:
    """The scheduler loop in this process (until interrupted or the parent dies)."""
    from engine.worker.scheduler import Scheduler

    app = create_engine_app()
    logging.basicConfig(level=settings_of(app).log_level)
    with contextlib.suppress(KeyboardInterrupt):
        Scheduler(app, interval=interval).run(parent_pid=parent_pid)


def main(burst: bool = False, scheduler: bool = True, interval: float = 5.0) -> int:
    app = create_engine_app()
    redis_url = settings_of(app).redis_url
    logging.basicConfig(level=settings_of(app).log_level)
    if not redis_url:
        if burst:
            print("REDIS_URL is not set: background jobs run in-process (embedded mode); nothing is queued.",
                  file=sys.stderr)
            return 2
        print("REDIS_URL is not set: running the scheduler only; its jobs run in-process.", file=sys.stderr)
        run_scheduler(interval)
        return 0
    from engine.worker.rq_worker import run_worker

    child = None
    if scheduler and not burst:
        # A spawned (not forked) process: it opens its own database connections.
        child = multiprocessing.get_context("spawn").Process(
            target=run_scheduler, args=(interval, os.getpid()), name="gee-scheduler", daemon=True
        )
        child.start()
    try:
        run_worker(redis_url, burst=burst)  # reconnects when Redis goes away (engine/worker/rq_worker.py)
    finally:
        if child is not None:
            child.terminate()
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="process the queued jobs, then exit")
    parser.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler loop")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between scheduler sweeps")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse(sys.argv[1:])
    sys.exit(main(burst=args.burst, scheduler=not args.no_scheduler, interval=args.interval))
