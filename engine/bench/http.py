"""HTTP benchmark: API task completions and ``GET /api/v1/me`` through the production server.

``gee serve`` (gunicorn, 2 workers) is started on a free local port against the configured
PostgreSQL database; a throwaway tenant (see :func:`engine.bench.process_engine.bench_tenant`)
gets a clerk with an API token and the review loop. For each concurrency, rounds alternate:
a round completes one fresh review task per request (``POST /api/v1/tasks/<id>/complete``),
the next one asks ``GET /api/v1/me`` as many times, and so on. Statements per completion are
counted in this process by the caller (SQLAlchemy events around one completion through the
app's test client), since the server's workers are other processes. A first untimed round
lets each worker import and load what its first requests need.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from engine.base.context import Context
from engine.base.db import db
from engine.base.unit_of_work import run_in_transaction
from engine.bench.process_engine import ANSWER, bench_tenant, p95
from engine.process.instances import tasks as instances
from engine.process.models import ProcessVersion
from engine.tenancy.tokens import create_token

WORKERS = 2
START_TIMEOUT_S = 60
#: Counts the statements of one completion of ``task_id`` with ``secret``, in this process.
StatementCounter = Callable[[str, int], int]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(port: int) -> Iterator[str]:
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
        yield base
    finally:
        child.terminate()
        child.wait(timeout=30)


def _call(url: str, secret: str, body: dict[str, Any] | None = None) -> float:
    """Seconds one request took; it must answer 200."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET",  # noqa: S310
                                     headers={"Authorization": f"Bearer {secret}",
                                              "Content-Type": "application/json"})  # fmt: skip
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our own server
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return time.perf_counter() - started


def _round(calls: Sequence[Callable[[], float]], concurrency: int) -> tuple[float, list[float]]:
    """Wall seconds of the whole round and the seconds of each call."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = list(pool.map(lambda call: call(), calls))
    return time.perf_counter() - started, latencies


def _ready_tasks(ctx: Context, version: ProcessVersion, count: int) -> list[int]:
    """``count`` fresh review tasks, one per new instance of the loop."""
    return [instances.start_instance(ctx, version, data={"rounds": 0})["ready_tasks"][0]["id"] for _ in range(count)]


def run_http_bench(
    requests: int,
    concurrencies: list[int],
    rounds: int,
    count_statements: StatementCounter,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time completions and ``/me`` calls at each concurrency; the figures as one dict."""
    say = progress or (lambda _msg: None)
    with bench_tenant(api_user=True) as (ctx, version):
        secret = run_in_transaction(lambda: create_token(ctx, "bench http")).secret
        statements = count_statements(secret, _ready_tasks(ctx, version, 1)[0])
        per_concurrency: dict[str, dict[str, float]] = {}
        all_completions: list[float] = []
        completion_s = me_s = 0.0
        with _server(_free_port()) as base:
            # Untimed: each worker imports the engine and loads the spec on its first calls.
            warm = [partial(_call, f"{base}/api/v1/tasks/{t}/complete", secret, {"data": ANSWER})
                    for t in _ready_tasks(ctx, version, 4 * WORKERS)]  # fmt: skip
            _round([*warm, *[partial(_call, f"{base}/api/v1/me", secret)] * 4 * WORKERS], WORKERS)
            for concurrency in concurrencies:
                done_s = asked_s = 0.0
                latencies: list[float] = []
                for _ in range(rounds):
                    task_ids = _ready_tasks(ctx, version, requests)
                    wall, times = _round([partial(_call, f"{base}/api/v1/tasks/{t}/complete", secret, {"data": ANSWER})
                                          for t in task_ids], concurrency)  # fmt: skip
                    done_s, latencies = done_s + wall, latencies + times
                    wall, _times = _round([partial(_call, f"{base}/api/v1/me", secret)] * requests, concurrency)
                    asked_s += wall
                figures = {"completions_per_s": round(requests * rounds / done_s, 1),
                           "me_per_s": round(requests * rounds / asked_s, 1),
                           "p95_ms": round(p95(latencies) * 1000, 1),
                           "median_ms": round(statistics.median(latencies) * 1000, 1)}  # fmt: skip
                per_concurrency[str(concurrency)] = figures
                say(f"concurrency {concurrency}: {figures}")
                all_completions += latencies
                completion_s, me_s = completion_s + done_s, me_s + asked_s
    total = requests * rounds * len(concurrencies)
    return {"bench": "http", "completions_per_s": round(total / completion_s, 1), "me_per_s": round(total / me_s, 1),
            "p95_ms": round(p95(all_completions) * 1000, 1), "statements_per_completion": statements,
            "workers": WORKERS, "requests_per_round": requests, "rounds": rounds,
            "per_concurrency": per_concurrency}  # fmt: skip


__all__ = ["StatementCounter", "run_http_bench"]
