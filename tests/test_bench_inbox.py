"""``gee bench inbox``: a tiny province loaded with bulk SQL into a throwaway PostgreSQL database,
every page answered, one JSON line at the end, and the database gone afterwards. On SQLite the
command refuses with a message saying why."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Flask

from engine.base.db import db
from webapp.cli import main

PAGES = ("inbox", "search_number", "search_nif", "search_name", "search", "dashboard", "api_tasks", "platform",
         "expedients", "expedients_filtered", "audit", "audit_by_user")


def _bench(app: Flask, *args: str):
    return app.test_cli_runner().invoke(main, ["bench", "inbox", *args])


def test_bench_inbox_times_every_page_and_drops_its_database(app):
    if db.engine.dialect.name != "postgresql":
        refused = _bench(app, "--expedients", "300", "--samples", "3")
        assert refused.exit_code != 0
        assert "gee bench inbox needs PostgreSQL" in refused.output and "DATABASE_URL" in refused.output
        assert "Traceback" not in refused.output
        return
    done = _bench(app, "--expedients", "300", "--samples", "3")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output.strip().splitlines()[-1])
    assert result["bench"] == "inbox"
    (size,) = result["sizes"]
    # 150 expedients in the clerk's municipality (half of 300), every second one open.
    assert size["expedients"] == 300 and size["tenants"] == 100 and size["open_tasks"] == 75
    for page in PAGES:
        assert 0 < size[f"{page}_p50_ms"] <= size[f"{page}_p95_ms"]
        assert 0 < size[f"{page}_sql_p95_ms"] <= size[f"{page}_p95_ms"] * 1.01
    with db.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname = :name"),
                            {"name": size["database"]}).scalar_one()  # fmt: skip
    assert left == 0


def test_bench_inbox_refuses_sizes_that_are_not_numbers(app):
    refused = _bench(app, "--expedients", "ten")
    assert refused.exit_code == 2 and "--expedients" in refused.output and "Traceback" not in refused.output
