"""``gee worker``: start a background worker."""

from __future__ import annotations

import sys

import click


@click.command("worker")
@click.option("--burst", is_flag=True, help="Process the jobs that are queued, then exit.")
def worker_command(burst: bool) -> None:
    """Start an rq worker on REDIS_URL (same as ``python worker.py``)."""
    import worker

    sys.exit(worker.main(burst=burst))


commands = [worker_command]
