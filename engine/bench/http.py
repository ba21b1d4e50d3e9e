"""HTTP benchmark: API task completions and ``GET /api/v1/me`` through the production server.

``gee serve`` (gunicorn, 2 workers) is started on a free local port against the configured
PostgreSQL database; a throwaway tenant (see :func:`engine.bench.process_engine.bench_tenant`)
gets a clerk with an API token and the review loop. For each concurrency, rounds alternate:
a round completes one fresh review task per request (``POST /api/v1/tasks/<id>/complete``),
the next one asks ``GET /api/v1/me`` as many times, and so on. Statements per completion are
counted in this process by the caller (SQLAlchemy events around one completion through the
app's test client, after a first one as a warm server has made), since the server's workers are
other processes. A first untimed round
lets each worker import and load what its first requests need.

Beside the rates, each round reads the CPU time the gunicorn workers (with the script sandboxes
they start), the database's backends
and this process (the client) spent on it (:mod:`engine.bench.process_cpu`): milliseconds of CPU
per request do not depend on what else the shared machine is doing, rates do. The client keeps
one connection alive per thread and parses no more than it must, so it takes little of the
cores the server runs on; its own CPU is reported too.

Beside the measured ratio, a bound on it (:func:`_ratio_bound`): under load the two rates follow
the CPU each request takes, so a completion can reach at most ``/me``'s CPU over ``/me``'s plus
what no completion can skip. That floor is measured in this process before the server starts:
SpiffWorkflow's step alone on the stored state (:func:`~engine.bench.process_engine.pruned_step_cpu_ms`)
and the CPU inside the driver for a completion's statements beyond ``/me``'s (between
SQLAlchemy's cursor events), plus the database's and the client's extra CPU of the rounds.
Parsing the body, validating the form, the audit entry, the projections and the ORM all come on
top of it: no completion that takes this step and sends these statements reaches a higher ratio.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text

from engine.base.context import Context
from engine.base.db import db
from engine.base.unit_of_work import run_in_transaction
from engine.bench import process_cpu
from engine.bench.process_engine import ANSWER, bench_tenant, p95, pruned_step_cpu_ms
from engine.process.instances import tasks as instances
from engine.process.models import ProcessInstance, ProcessVersion
from engine.tenancy.tokens import create_token

WORKERS = 2
START_TIMEOUT_S = 60
#: Completions (and as many ``/me`` calls) through the app in this process that measure the floor.
FLOOR_SAMPLES = 200
#: Where CPU time goes: the gunicorn workers, the database backends, this process (the client).
SIDES = ("server", "db", "client")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class _Served:
    base: str
    master_pid: int


@contextmanager
def _server(port: int) -> Iterator[_Served]:
    """``gee serve`` on ``port``, on this process's database, until the block ends (the child is
    stopped by its own pid)."""
    gee = str(Path(sys.executable).with_name("gee"))
    command = [gee, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False)}
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 - our own server
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gee serve did not start") from None
                time.sleep(0.2)
        yield _Served(base, child.pid)
    finally:
        child.terminate()
        child.wait(timeout=30)


class _Client:
    """Calls the server as a token's user over one kept-alive connection per thread."""

    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        self.local = threading.local()

    def call(self, path: str, body: dict[str, Any] | None = None) -> float:
        """Seconds one request took; it must answer 200."""
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        try:
            connection.request("POST" if body is not None else "GET", path, body=data, headers=self.headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self.local.connection = None
            raise
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        return time.perf_counter() - started


@dataclass
class _Tally:
    """What the rounds of one kind of request cost: wall time, latencies, CPU seconds by side
    (None for a side that could not be read)."""

    requests: int = 0
    wall_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu_s: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(SIDES, 0.0))

    def add(self, other: _Tally) -> None:
        self.requests += other.requests
        self.wall_s += other.wall_s
        self.latencies += other.latencies
        for side in SIDES:
            mine, theirs = self.cpu_s[side], other.cpu_s[side]
            self.cpu_s[side] = None if mine is None or theirs is None else mine + theirs

    def per_s(self) -> float:
        return round(self.requests / self.wall_s, 1)

    def cpu_ms(self, side: str) -> float | None:
        seconds = self.cpu_s[side]
        return None if seconds is None else round(1000 * seconds / self.requests, 2)


class _Meter:
    """Runs rounds of calls and reads what they cost: wall time and the CPU of each side. The
    gunicorn master only watches its workers (they accept the connections), so what runs below it
    is the server's work."""

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid

    def _backends(self) -> list[int]:
        """This database's backends but the one asking (the pool's connections to it)."""
        with db.engine.connect() as connection:
            pids = connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalars().all()  # fmt: skip
        return [pid for pid in pids if process_cpu.is_postgres(pid)]

    def _snapshots(self) -> tuple[process_cpu.Snapshot, process_cpu.Snapshot, float]:
        workers = process_cpu.snapshot(process_cpu.descendants_of(self.master_pid))
        return workers, process_cpu.snapshot(self._backends()), time.process_time()

    def run(self, calls: Sequence[Callable[[], float]], concurrency: int) -> _Tally:
        workers, backends, client = self._snapshots()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            latencies = list(pool.map(lambda call: call(), calls))
        wall = time.perf_counter() - started
        workers_after, backends_after, client_after = self._snapshots()
        cpu = {"server": process_cpu.spent(workers, workers_after), "db": process_cpu.spent(backends, backends_after),
               "client": client_after - client}  # fmt: skip
        return _Tally(len(calls), wall, latencies, cpu)


class InProcess(Protocol):
    """Requests through the app in this process as the token's user (the server's workers are
    other processes), read with SQLAlchemy's events."""

    def statements(self, task_id: int) -> int:
        """SQL statements of one completion of ``task_id``."""

    def driver_cpu_ms(self, paths: Sequence[str], body: dict[str, Any] | None) -> float:
        """CPU milliseconds inside the driver per request, each path called once with ``body``
        (a POST) or without (a GET)."""


def _ready_tasks(ctx: Context, version: ProcessVersion, count: int) -> list[int]:
    """``count`` fresh review tasks, one per new instance of the loop."""
    return [instances.start_instance(ctx, version, data={"rounds": 0})["ready_tasks"][0]["id"] for _ in range(count)]


def _floor(ctx: Context, version: ProcessVersion, in_process: InProcess) -> dict[str, float]:
    """What no completion can skip beyond ``/me``'s work, in CPU milliseconds of this process."""
    tasks = _ready_tasks(ctx, version, FLOOR_SAMPLES)
    waiting = instances.start_instance(ctx, version, data={"rounds": 0})
    stored = db.session.get_one(ProcessInstance, waiting["instance_id"]).state_json
    completions = in_process.driver_cpu_ms([f"/api/v1/tasks/{t}/complete" for t in tasks], {"data": ANSWER})
    me = in_process.driver_cpu_ms(["/api/v1/me"] * FLOOR_SAMPLES, None)
    return {"engine_step_cpu_ms": round(pruned_step_cpu_ms(version, stored, FLOOR_SAMPLES), 3),
            "driver_cpu_ms_per_completion": round(completions, 3), "driver_cpu_ms_per_me": round(me, 3)}  # fmt: skip


def _ratio_bound(done: _Tally, asked: _Tally, floor: dict[str, float]) -> float | None:
    """The most a completion's rate can be of ``/me``'s when CPU sets both: ``/me``'s CPU (server,
    database, client) over that plus the floor and a completion's extra in the database and the
    client. None when a side's CPU could not be read."""
    me = 0.0
    driver = max(0.0, floor["driver_cpu_ms_per_completion"] - floor["driver_cpu_ms_per_me"])
    extra = floor["engine_step_cpu_ms"] + driver
    for side in SIDES:
        completion_ms, me_ms = done.cpu_ms(side), asked.cpu_ms(side)
        if completion_ms is None or me_ms is None:
            return None
        me += me_ms
        if side != "server":  # a completion's own server CPU is what the floor stands for
            extra += completion_ms - me_ms
    return round(me / (me + extra), 2)


def _figures(done: _Tally, asked: _Tally) -> dict[str, Any]:
    """Rates, latencies and CPU per request of completions (``done``) against ``/me`` (``asked``)."""
    figures: dict[str, Any] = {
        "completions_per_s": done.per_s(), "me_per_s": asked.per_s(),
        "ratio": round(done.per_s() / asked.per_s(), 2),
        "p95_ms": round(p95(done.latencies) * 1000, 1),
        "median_ms": round(statistics.median(done.latencies) * 1000, 1),
    }  # fmt: skip
    for side in SIDES:
        figures[f"{side}_cpu_ms_per_completion"] = done.cpu_ms(side)
        figures[f"{side}_cpu_ms_per_me"] = asked.cpu_ms(side)
    return figures


def run_http_bench(
    requests: int,
    concurrencies: list[int],
    rounds: int,
    in_process_for: Callable[[str], InProcess],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time completions and ``/me`` calls at each concurrency; the figures as one dict."""
    say = progress or (lambda _msg: None)
    with bench_tenant(api_user=True) as (ctx, version):
        secret = run_in_transaction(lambda: create_token(ctx, "bench http")).secret
        in_process = in_process_for(secret)
        # Counted on a second completion: the first in a process also reads the version's spec and
        # forms, which a server keeps from then on (engine.process.definition.pinned).
        first, second = _ready_tasks(ctx, version, 2)
        in_process.statements(first)
        statements = in_process.statements(second)
        floor = _floor(ctx, version, in_process)
        say(f"floor (in this process): {floor}")
        per_concurrency: dict[str, dict[str, Any]] = {}
        all_done, all_asked = _Tally(), _Tally()
        port = _free_port()
        with _server(port) as served:
            client, meter = _Client(port, secret), _Meter(served.master_pid)
            me = partial(client.call, "/api/v1/me")

            def completions(count: int) -> list[Callable[[], float]]:
                return [partial(client.call, f"/api/v1/tasks/{t}/complete", {"data": ANSWER})
                        for t in _ready_tasks(ctx, version, count)]  # fmt: skip

            # Untimed, at the highest concurrency: each worker loads the spec on its first calls, and
            # each of its threads starts its script sandbox (a process importing the engine: about
            # 0.2 s of CPU) on the first script it runs; timed, that start-up read as a slower
            # completion at each concurrency that reached threads not used before.
            widest = max(concurrencies)
            meter.run([*completions(4 * widest), *[me] * 4 * widest], widest)
            for concurrency in concurrencies:
                done, asked = _Tally(), _Tally()
                for _ in range(rounds):
                    done.add(meter.run(completions(requests), concurrency))
                    asked.add(meter.run([me] * requests, concurrency))
                per_concurrency[str(concurrency)] = figures = _figures(done, asked)
                say(f"concurrency {concurrency}: {figures}")
                all_done.add(done)
                all_asked.add(asked)
    return {"bench": "http", **_figures(all_done, all_asked),
            "ratio_bound": _ratio_bound(all_done, all_asked, floor), "floor": floor,
            "statements_per_completion": statements,
            "workers": WORKERS, "requests_per_round": requests, "rounds": rounds,
            "per_concurrency": per_concurrency}  # fmt: skip


__all__ = ["FLOOR_SAMPLES", "InProcess", "run_http_bench"]
