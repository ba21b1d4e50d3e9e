"""Real components the tests talk to, and what to do when one is missing.

Locally a missing PostgreSQL, Redis or Chromium skips the tests that need it; with CI=true
it fails them, so a green CI always means the real component was exercised.
"""

from __future__ import annotations

import os
import shutil

import pytest

POSTGRES_URL = os.environ.get("GEE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("GEE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("GEE_TEST_CHROMIUM", "/usr/bin/chromium")


def missing(component: str, why: str) -> None:
    message = f"{component} is not available: {why}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a missing component fails the run)")
    pytest.skip(message)


def postgres_url() -> str:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        missing("PostgreSQL", str(exc).splitlines()[0])
    return POSTGRES_URL


def redis_url() -> str:
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        missing("Redis", str(exc))
    return REDIS_URL


def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        missing("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    return CHROMIUM
