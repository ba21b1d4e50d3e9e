"""Background jobs: rq over Redis when REDIS_URL is set, otherwise run in-process.

The database is the record; Redis only carries work. Job functions are plain engine
functions named by import path, run inside an application context.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, has_app_context

from engine.app import settings_of

log = logging.getLogger("gee.jobs")

QUEUE_NAME = "gee"
#: Retries with backoff before a job lands in rq's failed registry.
RETRY_INTERVALS = [10, 60, 300]


def job_path(func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


@lru_cache(maxsize=1)
def _worker_app() -> Flask:
    from engine.app import create_engine_app

    return create_engine_app()


def run_job(path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Entry point executed by rq workers (and in-process): resolve and call inside an app context."""
    func = resolve(path)
    if has_app_context():
        return func(*args, **kwargs)
    with _worker_app().app_context():
        return func(*args, **kwargs)


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None, **kwargs: Any) -> str | None:
    """Run ``func(*args, **kwargs)`` in the background; returns the rq job id, or None when run in-process.

    Call it after the transaction that made the work necessary has committed.
    """
    redis_url = settings_of(current_app).redis_url
    if not redis_url:
        run_job(job_path(func), list(args), kwargs)
        return None
    from redis import Redis
    from rq import Queue, Retry

    queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))
    job = queue.enqueue(
        run_job,
        job_path(func),
        list(args),
        kwargs,
        job_id=job_id,
        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
    )
    return str(job.id)
