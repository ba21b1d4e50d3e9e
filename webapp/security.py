"""Sessions, CSRF and security headers."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from engine.base.settings import settings_of

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    settings = settings_of(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    # Flask-WTF caches the session's token on ``g``; an app context shared by several requests
    # (tests, CLI) would hand the previous session's token to the next request.
    app.teardown_request(lambda _exc: g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None))

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if settings.production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
