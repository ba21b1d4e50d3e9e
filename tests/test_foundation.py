"""The skeleton: settings, health, login, security headers."""

from __future__ import annotations

import pytest

from engine.base.db import db
from engine.base.settings import ConfigurationError, Settings
from tests.conftest import csrf_token, login, make_tenant, make_user, settings_changed


def test_production_refuses_to_start_without_secrets():
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({"GEE_ENV": "production", "DATABASE_URL": "postgresql+psycopg://x/y"})
    assert "SECRET_KEY" in str(err.value)
    assert "GEE_KEY_ENCRYPTION_KEY" in str(err.value)


def test_production_starts_with_every_secret_given():
    settings = Settings.from_env(
        {
            "GEE_ENV": "production",
            "DATABASE_URL": "postgresql+psycopg://x/y",
            "SECRET_KEY": "s" * 32,
            "GEE_KEY_ENCRYPTION_KEY": "k" * 32,
        }
    )
    assert settings.production and settings.secret_key == "s" * 32


def test_embedded_defaults_are_sqlite_and_in_process_jobs():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("instance/gee.sqlite3")
    assert settings.redis_url is None


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"]["database"] == "ok"


def test_login_logout_and_security_headers(client):
    tenant = make_tenant()
    make_user("clerk", tenant, ("tramitador",), full_name="Anna Clerk")
    db.session.commit()
    assert client.get("/").status_code == 302  # login first
    login(client, "clerk")
    page = client.get("/")
    assert page.status_code == 200
    assert "Anna Clerk" in page.get_data(as_text=True)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_login_without_csrf_token_is_refused(client):
    tenant = make_tenant()
    make_user("clerk", tenant, ("tramitador",))
    db.session.commit()
    response = client.post("/login", data={"username": "clerk", "password": "x"})
    assert response.status_code == 400


def test_repeated_failed_logins_are_throttled(client):
    tenant = make_tenant()
    make_user("clerk", tenant, ("tramitador",))
    db.session.commit()
    token = csrf_token(client)
    codes = [
        client.post("/login", data={"username": "clerk", "password": "wrong", "csrf_token": token}).status_code
        for _ in range(5)
    ]
    assert codes == [401] * 5
    # Even the right password is refused while the account is locked, exactly as an unknown user is.
    locked = client.post("/login", data={"username": "clerk", "password": "correct horse battery staple",
                                         "csrf_token": token})
    unknown = client.post("/login", data={"username": "nobody", "password": "x", "csrf_token": token})
    assert locked.status_code == unknown.status_code == 401
    assert _flashes(locked) == _flashes(unknown) != []


def _flashes(response) -> list[str]:
    import re

    return re.findall(r'class="alert[^"]*"[^>]*>\s*([^<]*?)\s*<', response.get_data(as_text=True))


def test_each_request_logs_one_line_with_tenant_user_route_status_and_duration(client):
    import logging

    from webapp.logging_setup import JsonFormatter, request_log

    tenant = make_tenant()
    make_user("clerk", tenant, ("tramitador",))
    db.session.commit()
    login(client, "clerk")
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    handler = Collect()
    request_log.addHandler(handler)
    try:
        client.get("/")
    finally:
        request_log.removeHandler(handler)
    import json

    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["route"] == "/" and entry["status"] == 200 and entry["user"] == "clerk"
    assert entry["tenant"] == tenant.id and entry["duration_ms"] >= 0


def test_healthz_checks_redis_when_configured(app, client):
    from tests.services import redis_url

    with settings_changed(app, redis_url=redis_url()):
        ok = client.get("/healthz")
    with settings_changed(app, redis_url="redis://127.0.0.1:1/0"):
        down = client.get("/healthz")
    assert ok.status_code == 200 and ok.json["checks"]["redis"] == "ok"
    assert down.status_code == 503 and down.json["checks"]["redis"].startswith("error")


def test_production_citizen_login_needs_its_client_secret():
    base = {"GEE_ENV": "production", "DATABASE_URL": "postgresql+psycopg://x/y", "SECRET_KEY": "s" * 32,
            "GEE_KEY_ENCRYPTION_KEY": "k" * 32, "GEE_OIDC_ISSUER": "https://idp.example"}
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env(base)
    assert "GEE_OIDC_CLIENT_SECRET" in str(err.value)
    assert Settings.from_env({**base, "GEE_OIDC_CLIENT_ID": "gee", "GEE_OIDC_CLIENT_SECRET": "x" * 32}).production


def test_every_page_has_an_icon_and_favicon_ico_answers(client) -> None:
    login_page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in login_page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
