"""/healthz: is the database reachable, and Redis when it is configured."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from engine.base.db import db
from engine.base.settings import current_settings

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # reported, not raised: this is the health endpoint
        checks["database"] = f"error: {exc.__class__.__name__}"
    redis_url = current_settings().redis_url
    if redis_url:
        from redis import Redis

        try:
            Redis.from_url(redis_url, socket_connect_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if healthy else "error", "checks": checks}), 200 if healthy else 503
