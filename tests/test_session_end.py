"""Logout, a password change and a deactivation end every session of that user."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from engine.base.db import db
from engine.tenancy.login import change_password, deactivate_user
from engine.tenancy.models import User
from tests.conftest import csrf_token, login, make_tenant, make_user


def _copy_cookie(app: Flask, client: FlaskClient) -> FlaskClient:
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def _logged_in(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 200 and "/login" not in response.headers.get("Location", "")


def _clerk(app: Flask) -> tuple[FlaskClient, FlaskClient, int]:
    user = make_user("clerk", make_tenant(), ("tramitador",))
    db.session.commit()
    client = app.test_client()
    login(client, "clerk")
    copy = _copy_cookie(app, client)
    assert _logged_in(copy)
    return client, copy, user.id


def test_a_cookie_copied_before_logout_no_longer_works(app):
    client, copy, _user_id = _clerk(app)
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert not _logged_in(copy)
    assert not _logged_in(client)


def test_a_password_change_ends_every_session(app):
    client, copy, user_id = _clerk(app)
    change_password(user_id, "a brand new passphrase")
    db.session.commit()
    assert not _logged_in(copy)
    assert not _logged_in(client)
    login(client, "clerk", "a brand new passphrase")
    assert _logged_in(client)


def test_a_deactivation_ends_every_session_even_after_reactivation(app):
    _client, copy, user_id = _clerk(app)
    deactivate_user(user_id)
    db.session.commit()
    assert not _logged_in(copy)
    user = db.session.get(User, user_id)
    assert user is not None
    user.active = True
    db.session.commit()
    assert not _logged_in(copy)
