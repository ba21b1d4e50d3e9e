"""``gee bench ...``: benchmarks of the engine, the pages at scale, the timers, ENI migration, start-up and
the request times of pages and form posts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask import Flask

    from engine.base.settings import Settings


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
    from engine.base.db import db
    from engine.bench.process_engine import run_engine_bench, summary

    try:
        wanted = sorted({int(s) for s in sizes.split(",") if s.strip()})
    except ValueError:
        raise click.UsageError("--sizes must be whole numbers separated by commas") from None
    if not wanted or wanted[0] < 1:
        raise click.UsageError("--sizes must be positive")
    click.echo(f"database: {db.engine.dialect.name}; {samples} samples per size")
    results = run_engine_bench(wanted, samples, progress=click.echo)
    click.echo(json.dumps(summary(results, db.engine.dialect.name)))


def migrated_app(settings: Settings) -> Flask:
    """The web app on ``settings`` with its (empty) database brought to head, quietly."""
    import logging

    from flask_migrate import upgrade

    from engine.app import init_migrations
    from webapp import create_app

    app = create_app(settings)
    init_migrations(app)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
    return app


@contextmanager
def request_log_quiet() -> Iterator[None]:
    """The bench prints its own figures: a log line for each of its thousands of requests would bury
    them. The level is put back afterwards (a bench run inside a test leaves the process as it was)."""
    from webapp.logging_setup import request_log  # loaded with the app, not for `gee --help`

    level = request_log.level
    request_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        request_log.setLevel(level)


@bench_group.command("inbox")
@click.option("--expedients", "sizes", default="10000", show_default=True,
              help="Expedients of the province loaded, comma separated (one throwaway database each).")
@click.option("--samples", default=30, show_default=True, type=click.IntRange(min=3),
              help="Timed requests of each page per size.")
def bench_inbox_command(sizes: str, samples: int) -> None:
    """Load a province with bulk SQL into a throwaway PostgreSQL database and time the inbox, search,
    dashboard, API and platform pages; last line is JSON."""
    from flask import current_app

    from engine.base.db import db
    from engine.base.i18n import _
    from engine.bench.inbox import run_inbox_bench

    try:
        wanted = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise click.UsageError(_("--expedients must be whole numbers separated by commas")) from None
    if not wanted or min(wanted) < 2:
        raise click.UsageError(_("--expedients must be at least 2"))
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException(_("gee bench inbox needs PostgreSQL: it loads the province with PostgreSQL's "
                                     "bulk SQL into a database of its own. Set DATABASE_URL to a PostgreSQL server."))
    with request_log_quiet():
        result = run_inbox_bench(migrated_app, current_app.config["GEE_SETTINGS"], wanted, samples,
                                 progress=click.echo)
    click.echo(json.dumps(result))


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


@bench_group.command("timer-batch")
@click.option("--count", default=200, show_default=True, type=click.IntRange(min=1),
              help="Due timers fired as one batch (one real instance each).")
@click.option("--profile", is_flag=True, help="Print cProfile's listing of the batch too.")
def bench_timer_batch_command(count: int, profile: bool) -> None:
    """CPU time and statements per timer of one in-process batch; last line is JSON."""
    from engine.bench.timer_batch import run_timer_batch_bench

    click.echo(json.dumps(run_timer_batch_bench(count, profile, progress=click.echo)))


@bench_group.command("startup")
@click.option("--runs", default=7, show_default=True, type=click.IntRange(min=1),
              help="Runs of each command; the medians are reported.")
def bench_startup_command(runs: int) -> None:
    """User CPU time of ``gee --help`` against ``python -c "import flask, sqlalchemy"``; last line is JSON."""
    from engine.bench.startup import run_startup_bench

    result = run_startup_bench(runs, progress=click.echo)
    click.echo(f"gee --help: {result['gee_help_s']:.3f} s; import flask, sqlalchemy: {result['baseline_s']:.3f} s "
               f"(user CPU, median of {runs}); ratio {result['ratio']}")
    click.echo(json.dumps(result))


@bench_group.command("http")
@click.option("--requests", default=64, show_default=True, type=click.IntRange(min=1),
              help="Requests per round (one fresh task each for completions).")
@click.option("--concurrency", "concurrencies", default="1,4,16", show_default=True,
              help="Concurrent clients, comma separated.")
@click.option("--rounds", default=2, show_default=True, type=click.IntRange(min=1),
              help="Completion rounds per concurrency, each followed by a round of GET /api/v1/me.")
def bench_http_command(requests: int, concurrencies: str, rounds: int) -> None:
    """Time API completions and GET /api/v1/me through gee serve (2 workers) on PostgreSQL, with the most their
    ratio could be (what no completion can skip, measured in this process); last line is JSON."""
    from engine.base.db import db
    from engine.base.i18n import _
    from engine.bench.http import run_http_bench

    if db.engine.dialect.name != "postgresql":
        raise click.UsageError(_("gee bench http measures the production setup: set DATABASE_URL to a PostgreSQL "
                                 "database (the gunicorn workers cannot share the embedded SQLite file fairly)."))
    try:
        wanted = [int(c) for c in concurrencies.split(",") if c.strip()]
    except ValueError:
        raise click.UsageError(_("--concurrency must be whole numbers separated by commas")) from None
    if not wanted or min(wanted) < 1:
        raise click.UsageError(_("--concurrency must be whole numbers separated by commas"))
    result = run_http_bench(requests, wanted, rounds, _ThroughTestClient, progress=click.echo)
    click.echo(json.dumps(result))


class _ThroughTestClient:
    """Requests as the token's user through the app's test client, in this process, read with
    SQLAlchemy's events (see engine.bench.http.InProcess)."""

    def __init__(self, secret: str) -> None:
        from flask import current_app

        self.client = current_app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def _call(self, path: str, body: dict[str, Any] | None) -> None:
        if body is None:
            response = self.client.get(path, headers=self.headers)
        else:
            response = self.client.post(path, json=body, headers=self.headers)
        if response.status_code != 200:
            raise click.ClickException(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")

    def statements(self, task_id: int) -> int:
        from engine.base.db import db
        from engine.base.statement_count import counting
        from engine.bench.process_engine import ANSWER

        with counting(db.engine) as count:
            self._call(f"/api/v1/tasks/{task_id}/complete", {"data": ANSWER})
        return len(count.statements)

    def driver_cpu_ms(self, paths: Sequence[str], body: dict[str, Any] | None) -> float:
        from engine.base.db import db
        from engine.base.statement_count import counting

        with counting(db.engine) as count:
            for path in paths:
                self._call(path, body)
        return 1000 * count.driver_cpu_s / len(paths)


@bench_group.command("requests")
@click.option("--runs", default=20, show_default=True, type=click.IntRange(min=3),
              help="Timed rounds (each request once per round), after two untimed ones.")
def bench_requests_command(runs: int) -> None:
    """Time, warm, the login, inbox, task page, completions, e-office filing, signed PDF upload, BPMN deploy,
    expedient page and dashboard through the test client on a throwaway database; last line is JSON."""
    from flask import current_app

    from engine.bench.requests import run_requests_bench

    with request_log_quiet():
        result = run_requests_bench(migrated_app, current_app.config["GEE_SETTINGS"], runs, progress=click.echo)
    click.echo(json.dumps(result))


commands: list[click.Command] = [bench_group]


@bench_group.command("migrate")
@click.option("--count", default=300, show_default=True, type=click.IntRange(min=1),
              help="Expedients to generate and migrate (3 documents of 20 kB each; every tenth one broken).")
def bench_migrate_command(count: int) -> None:
    """Generate COUNT ENI remissions, run ``gee migrate`` over them into a throwaway tenant, then
    again (everything skipped); last line is JSON."""
    import tempfile
    import time
    import uuid
    from pathlib import Path

    from engine.base.context import Context
    from engine.base.db import db
    from engine.base.unit_of_work import run_in_transaction
    from engine.bench.eni_migration import write_source
    from engine.eni.migration import items, migrate_item
    from engine.tenancy.models import Tenant

    def new_tenant() -> int:
        code = f"bench-{uuid.uuid4().hex[:8]}"
        tenant = Tenant(code=code, name="Benchmark migration", dir3="L0BENCH00")
        db.session.add(tenant)
        db.session.flush()
        return int(tenant.id)

    tenant_id = run_in_transaction(new_tenant)
    ctx = Context.system(tenant_id, "cli:bench-migrate")
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        broken = write_source(Path(folder), count)
        generated = time.perf_counter() - began
        runs = []
        for label in ("first run", "re-run"):
            began = time.perf_counter()
            statuses: dict[str, int] = {}
            for n, item in enumerate(items(Path(folder)), start=1):
                outcome = migrate_item(ctx, item, {}, False)
                statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
                if n % 50 == 0:
                    click.echo(f"{label}: {n}/{count}", err=True)
            elapsed = time.perf_counter() - began
            runs.append({"run": label, "seconds": round(elapsed, 1), "per_expedient_ms": round(1000 * elapsed / count),
                         **statuses})
            click.echo(f"{label}: {elapsed:.1f}s {statuses}")
    click.echo(json.dumps({"database": db.engine.dialect.name, "expedients": count, "documents_each": 3,
                           "broken": broken, "generate_seconds": round(generated, 1), "runs": runs}))
