"""``gee serve``: the production web server in the box (gunicorn running the app factory).

``gee run`` is Flask's development server; this one forks worker processes, each building its own
app (so database connections are never shared across a fork), and is what a provincial service
runs behind its reverse proxy. Options default to the environment, then to the values below.
"""

from __future__ import annotations

import os
from typing import Any

import click


def _default_workers() -> int:
    return int(os.environ.get("GEE_WEB_WORKERS") or 2 * (os.cpu_count() or 1) + 1)


@click.command("serve")
@click.option("--bind", default=lambda: os.environ.get("GEE_BIND", "127.0.0.1:8000"),
              show_default="GEE_BIND or 127.0.0.1:8000",
              help="Address to listen on (host:port, or unix:/path).")
@click.option("--workers", type=click.IntRange(min=1), default=_default_workers,
              show_default="GEE_WEB_WORKERS or 2 x cores + 1", help="Worker processes.")
@click.option("--threads", type=click.IntRange(min=1), default=lambda: int(os.environ.get("GEE_WEB_THREADS", "4")),
              show_default="GEE_WEB_THREADS or 4", help="Threads per worker.")
@click.option("--timeout", type=click.IntRange(min=5), default=60, show_default=True,
              help="Seconds before a silent worker is restarted.")
def serve_command(bind: str, workers: int, threads: int, timeout: int) -> None:
    """Serve the web app with gunicorn (the production server)."""
    from gunicorn.app.base import BaseApplication

    class GeeServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": bind, "workers": workers, "threads": threads, "timeout": timeout,
                               "worker_class": "gthread", "accesslog": None}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from webapp import create_app

            return create_app()

    GeeServer().run()


commands = [serve_command]
