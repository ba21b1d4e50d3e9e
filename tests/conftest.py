"""Test harness: one app per session on the configured database, a clean database per test.

- ``DATABASE_URL`` unset: SQLite in a temporary directory (the embedded default).
- ``DATABASE_URL=postgresql+psycopg://…``: that PostgreSQL database (CI's second run).

Under pytest-xdist each worker gets its own database (``<name>_gw0``…), its own Redis database
numbers and its own instance folder, so workers never see each other's rows or jobs.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="gee-tests-"))
# Before engine.base.settings is imported: local files of the tests never land in the repository.
os.environ["GEE_INSTANCE_DIR"] = str(_TMP / "instance")

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.base.context import Context  # noqa: E402
from engine.base.db import db  # noqa: E402
from engine.base.settings import Settings, settings_of  # noqa: E402
from engine.tenancy.models import Membership, Tenant, User  # noqa: E402
from engine.tenancy.passwords import hash_password  # noqa: E402
from tests.services import XDIST_WORKER, per_worker_redis_url, redis_url  # noqa: E402


def settings_for_tests() -> Settings:
    env = dict(os.environ)
    env["GEE_ENV"] = "testing"
    # Engine messages outside a request read as their English source text in assertions;
    # pages are still served in Catalan by default (see test_translations).
    env["GEE_DEFAULT_LOCALE"] = "en"
    env.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'gee-test.sqlite3'}")
    if XDIST_WORKER and env["DATABASE_URL"].startswith("postgresql"):
        env["DATABASE_URL"] = _worker_database(env["DATABASE_URL"])
    if env.get("REDIS_URL"):
        env["REDIS_URL"] = per_worker_redis_url(env["REDIS_URL"])
    env["GEE_DOCUMENT_STORE"] = str(_TMP / "documents")
    return Settings.from_env(env)


def _worker_database(url: str) -> str:
    """``…/test`` becomes ``…/test_gw1`` for xdist worker gw1, created when missing."""
    name = f"{url.rsplit('/', 1)[1]}_{XDIST_WORKER}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    from webapp import create_app

    application = create_app(settings_for_tests(), {"TESTING": True})
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """Every test runs inside an app context and leaves an empty database and job queue behind:
    ids restart at 1, so a job a test left queued would otherwise act on the next test's rows."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _truncate_all()
        _empty_job_queue(app)
        # Audit checkpoints name tenants by id, which the next test reuses: they go with the rows.
        shutil.rmtree(settings_of(app).document_store / "audit-checkpoints", ignore_errors=True)


def _empty_job_queue(app: Flask) -> None:
    url = settings_of(app).redis_url
    if url:
        from redis import Redis

        Redis.from_url(url).flushdb()


def _truncate_all() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


PASSWORD = "correct horse battery staple"
_HASH_CACHE: dict[str, str] = {}


def make_tenant(code: str = "ajt-proves", name: str = "Ajuntament de Proves", **extra: object) -> Tenant:
    tenant = Tenant(
        code=code,
        name=name,
        dir3=extra.pop("dir3", "L01259999"),
        ine_code=extra.pop("ine_code", "259999"),
        **extra,
    )
    db.session.add(tenant)
    db.session.flush()
    return tenant


def make_user(username: str, tenant: Tenant | None = None, roles: tuple[str, ...] = (), **extra: object) -> User:
    if PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[PASSWORD] = hash_password(PASSWORD)
    user = User(username=username, full_name=extra.pop("full_name", username.title()),
                password_hash=_HASH_CACHE[PASSWORD], **extra)
    db.session.add(user)
    db.session.flush()
    for role in roles:
        assert tenant is not None
        db.session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=role))
    db.session.flush()
    return user


def ctx_for(user: User, tenant: Tenant) -> Context:
    db.session.refresh(user)
    return Context(tenant_id=tenant.id, user_id=user.id, username=user.username, roles=user.roles_in(tenant.id))


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def tenant() -> Tenant:
    tenant = make_tenant()
    db.session.commit()
    return tenant


@contextmanager
def settings_changed(app: Flask, **changes: object) -> Iterator[Settings]:
    """Temporarily run the app with some settings changed (e.g. redis_url)."""
    original = app.config["GEE_SETTINGS"]
    app.config["GEE_SETTINGS"] = dataclasses.replace(original, **changes)
    try:
        yield app.config["GEE_SETTINGS"]
    finally:
        app.config["GEE_SETTINGS"] = original


@pytest.fixture
def with_redis(app: Flask) -> Iterator[str]:
    """The app queues its background jobs in the tests' Redis (emptied before and after); run them
    with :func:`tests.services.run_queued_jobs`."""
    from redis import Redis

    url = redis_url()
    Redis.from_url(url).flushdb()
    with settings_changed(app, redis_url=url):
        yield url
    Redis.from_url(url).flushdb()


@pytest.fixture
def without_redis(app: Flask) -> Iterator[None]:
    """Embedded mode whatever REDIS_URL says: background jobs run in-process."""
    with settings_changed(app, redis_url=None):
        yield


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    """The clerks' town and its neighbour (:func:`tests.web_clerk.make_world`); a module may define its own."""
    from tests.web_clerk import make_world

    return make_world()


@pytest.fixture
def platform():  # type: ignore[no-untyped-def]
    """The provincial service's platform administrator, acting."""
    provincial = make_tenant("diputacio", "Diputació", kind="provincial", dir3="L02000025", ine_code=None)
    admin = make_user("plataforma", provincial, ("admin",), platform_admin=True)
    db.session.commit()
    return Context(tenant_id=provincial.id, user_id=admin.id, username=admin.username,
                   roles=frozenset({"admin"}), platform_admin=True)


@pytest.fixture
def designer(client):  # type: ignore[no-untyped-def]
    """A process designer of a municipality, logged in, the pages in English."""
    tenant = make_tenant()
    make_user("dissenyadora", tenant, roles=("dissenyador",))
    db.session.commit()
    login(client, "dissenyadora")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/catalogue/")})
    return tenant
