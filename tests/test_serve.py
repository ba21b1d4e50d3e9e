"""``gee serve``: the production server in the box answers the app's pages from its own workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from flask import Flask

from engine.base.settings import settings_of

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gee_serve_answers_with_gunicorn_workers(app: Flask, tmp_path: Path) -> None:
    settings = settings_of(app)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "GEE_ENV": "development",
           "GEE_DOCUMENT_STORE": str(tmp_path / "documents")}
    env.pop("REDIS_URL", None)
    gee = Path(sys.executable).with_name("gee")
    server = subprocess.Popen([str(gee), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = ""
        deadline = time.monotonic() + 60  # process start-up, not a timing assertion
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
                    body = reply.read().decode()
                    break
            except (URLError, ConnectionError):
                time.sleep(0.2)
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        assert json.loads(body) == {"status": "ok", "checks": {"database": "ok"}}
        with urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as reply:
            assert reply.status == 200 and "csrf_token" in reply.read().decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Booting worker" in output  # gunicorn's own workers served it
