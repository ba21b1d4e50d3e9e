"""Parallel wrong passwords on PostgreSQL: the lock-out counts every attempt and holds."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from engine.base.db import db
from engine.base.settings import current_settings
from engine.tenancy.models import User
from tests.conftest import PASSWORD, csrf_token, make_tenant, make_user
from tests.services import postgres_app


def _logins_at_once(app: Flask, passwords: list[str]) -> list[Any]:
    """POST /login from one client per thread, all released together; the status codes."""
    barrier = threading.Barrier(len(passwords))
    results: list[Any] = [None] * len(passwords)

    def run(i: int) -> None:
        client = app.test_client()
        try:
            token = csrf_token(client)
            barrier.wait()
            response = client.post("/login", data={"username": "clerk", "password": passwords[i],
                                                   "csrf_token": token})
            results[i] = response.status_code
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _setup(app: Flask) -> None:
    with app.app_context():
        make_user("clerk", make_tenant(), ("tramitador",))
        db.session.commit()


def test_forty_wrong_passwords_at_once_all_count_and_lock_the_account() -> None:
    with postgres_app(pool_size=12) as app:
        _setup(app)
        results = _logins_at_once(app, ["wrong"] * 40)
        assert results == [401] * 40, results
        with app.app_context():
            user = db.session.query(User).filter_by(username="clerk").one()
            assert user.failed_logins == 40
            assert user.locked_until is not None
        assert _logins_at_once(app, [PASSWORD]) == [401]


def test_right_password_among_wrong_ones_beyond_the_limit_is_refused() -> None:
    with postgres_app(pool_size=12) as app:
        _setup(app)
        with app.app_context():
            limit = current_settings().login_max_failures
        # The allowed attempts are used up by wrong passwords, all at once.
        assert _logins_at_once(app, ["wrong"] * limit) == [401] * limit
        results = _logins_at_once(app, ["wrong"] * 29 + [PASSWORD])
        assert results == [401] * 30, results
