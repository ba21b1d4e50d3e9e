"""``gee worker`` (rq worker + scheduler) and ``gee scheduler`` (the scheduler loop alone)."""

from __future__ import annotations

import sys

import click


@click.command("worker")
@click.option("--burst", is_flag=True, help="Process the jobs that are queued, then exit.")
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler loop beside the worker.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between scheduler sweeps.")
def worker_command(burst: bool, no_scheduler: bool, interval: float) -> None:
    """Start an rq worker on REDIS_URL and the scheduler loop (same as ``python worker.py``).

    Without REDIS_URL only the scheduler runs, and its jobs run in-process."""
    import worker

    sys.exit(worker.main(burst=burst, scheduler=not no_scheduler, interval=interval))


@click.command("scheduler")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between sweeps.")
@click.option("--once", is_flag=True, help="Sweep once and exit.")
def scheduler_command(interval: float, once: bool) -> None:
    """Run the scheduler loop: due timers, notification expiry, overdue tasks, nightly integrity check.

    Only one scheduler is active at a time across hosts (a Redis lock); without Redis its jobs
    run in-process."""
    if once:
        from flask import current_app

        from engine.worker.scheduler import Scheduler

        click.echo(str(Scheduler(current_app._get_current_object()).tick()))  # type: ignore[attr-defined]
        return
    import worker

    worker.run_scheduler(interval)


commands = [worker_command, scheduler_command]
