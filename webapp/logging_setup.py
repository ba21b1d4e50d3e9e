"""Structured logging: one line per request with tenant, user, route, status and duration."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from flask import Flask, g, request

from engine.base.settings import settings_of

request_log = logging.getLogger("gee.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(getattr(record, "fields", {}))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            base += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return base


#: Libraries whose warnings are outcomes GEE reports itself (an untrusted signature, say): shown
#: only at DEBUG, so a command prints its own one-line message instead of the library's traceback.
QUIET_LIBRARIES = ("pyhanko", "pyhanko_certvalidator")


class _DetailsAtDebug(logging.Filter):
    """Below ERROR, a record's traceback is kept only when the log level is DEBUG."""

    def __init__(self, level: str) -> None:
        super().__init__()
        self.debug = logging.getLevelName(level) == logging.DEBUG

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.debug and record.levelno < logging.ERROR and record.exc_info:
            record.exc_info, record.exc_text = None, None
        return True


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted, not the stream of the moment
    the app was created: an app built inside a command runner (click's CliRunner swaps stderr for
    a buffer it closes afterwards) keeps logging after that runner is gone."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """The stream is always the current stderr; setting it is ignored."""


def configure_logging(level: str, fmt: str) -> None:
    handler = _CurrentStderrHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(_DetailsAtDebug(level))
    root = logging.getLogger("gee")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    for name in QUIET_LIBRARIES:
        library = logging.getLogger(name)
        library.handlers[:] = [handler]
        library.setLevel(logging.DEBUG if logging.getLevelName(level) == logging.DEBUG else logging.ERROR)
        library.propagate = False


def init_app(app: Flask) -> None:
    settings = settings_of(app)
    configure_logging(settings.log_level, settings.log_format)

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Any) -> Any:
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        ctx = g.get("ctx")
        request_log.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    "route": request.url_rule.rule if request.url_rule else request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "tenant": ctx.tenant_id if ctx else None,
                    "user": ctx.username if ctx else None,
                }
            },
        )
        return response
