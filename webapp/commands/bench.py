"""``gee bench engine``: task completion time against history size, ours vs bare SpiffWorkflow."""

from __future__ import annotations

import json

import click

from engine.base.db import db
from engine.bench.process_engine import run_engine_bench, summary


@click.group("bench")
def bench_group() -> None:
    """Benchmarks on the configured database."""


@bench_group.command("engine")
@click.option("--sizes", default="10,100,1000", show_default=True,
              help="History sizes (completed tasks), comma separated.")
@click.option("--samples", default=15, show_default=True, type=click.IntRange(min=3),
              help="Timed completions per size.")
def bench_engine_command(sizes: str, samples: int) -> None:
    """Time one task completion as an instance's history grows; last line is JSON."""
    try:
        wanted = sorted({int(s) for s in sizes.split(",") if s.strip()})
    except ValueError:
        raise click.UsageError("--sizes must be whole numbers separated by commas") from None
    if not wanted or wanted[0] < 1:
        raise click.UsageError("--sizes must be positive")
    click.echo(f"database: {db.engine.dialect.name}; {samples} samples per size")
    results = run_engine_bench(wanted, samples, progress=click.echo)
    click.echo(json.dumps(summary(results, db.engine.dialect.name)))


@bench_group.command("timers")
@click.option("--count", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Due timers to seed (one real instance each).")
@click.option("--tenants", default=4, show_default=True, type=click.IntRange(min=1),
              help="Tenants the timers are spread across.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="rq worker processes (with REDIS_URL; without it jobs run in-process).")
def bench_timers_command(count: int, tenants: int, workers: int) -> None:
    """Seed N due timers and time sweeper -> queue -> job -> fire_timers; last line is JSON."""
    from engine.bench.timers import run_timers_bench

    click.echo(json.dumps(run_timers_bench(count, tenants, workers, progress=click.echo)))


commands: list[click.Command] = [bench_group]
