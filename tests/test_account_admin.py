"""Staff change their own password; a tenant admin deactivates and reactivates users. Each ends sessions."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.tenancy.models import User
from tests.conftest import PASSWORD, csrf_token, login, make_tenant, make_user
from tests.web_clerk import field_error

NEW = "una frase de pas nova i llarga"


def _copy_cookie(app: Flask, client: FlaskClient) -> FlaskClient:
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def _logged_in(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 200 and "/login" not in response.headers.get("Location", "")


def _change(client: FlaskClient, current: str, new: str, repeat: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={"csrf_token": token, "current_password": current,
                                                   "new_password": new, "repeat_password": repeat})


def test_change_my_password_ends_my_other_sessions_and_keeps_this_one(app: Flask) -> None:
    make_user("clerk", make_tenant(), ("tramitador",))
    db.session.commit()
    client = app.test_client()
    login(client, "clerk")
    page = client.get("/account/password")
    assert page.status_code == 200 and "Canvia la meva contrasenya" in page.text  # Catalan by default
    old_cookie = _copy_cookie(app, client)  # e.g. a session left open on another computer
    response = _change(client, PASSWORD, NEW, NEW)
    assert response.status_code == 302
    assert not _logged_in(old_cookie)  # the old session cookie stops working
    assert _logged_in(client)  # the browser that made the change goes on
    fresh = app.test_client()
    login(fresh, "clerk", NEW)
    assert _logged_in(fresh)
    assert db.session.query(AuditEvent).filter_by(action="user.password_changed").count() == 1


def test_a_refused_password_change_says_why_and_changes_nothing(app: Flask) -> None:
    make_user("clerk", make_tenant(), ("tramitador",))
    db.session.commit()
    client = app.test_client()
    login(client, "clerk")
    other = _copy_cookie(app, client)
    wrong = _change(client, "not my password", NEW, NEW)
    assert wrong.status_code == 422
    assert "contrasenya actual no és correcta" in (field_error(wrong.text, "current_password") or "")
    assert 'aria-describedby="current_password-error"' in wrong.text
    short = _change(client, PASSWORD, "curta", "curta")
    assert short.status_code == 422 and "12" in (field_error(short.text, "new_password") or "")  # minimum length 12
    assert 'aria-describedby="new_password-error new-password-help"' in short.text
    different = _change(client, PASSWORD, NEW, NEW + "!")
    assert different.status_code == 422
    assert "no són iguals" in (field_error(different.text, "repeat_password") or "")
    assert NEW not in different.text  # no password is ever sent back
    assert _logged_in(other) and _logged_in(client)  # nothing changed, no session ended
    fresh = app.test_client()
    login(fresh, "clerk", PASSWORD)
    assert _logged_in(fresh)


def _admin_and_clerk(app: Flask) -> tuple[FlaskClient, FlaskClient, int, int]:
    tenant = make_tenant()
    admin = make_user("admin", tenant, ("admin",))
    clerk = make_user("clerk", tenant, ("tramitador",))
    db.session.commit()
    admin_client, clerk_client = app.test_client(), app.test_client()
    login(admin_client, "admin")
    login(clerk_client, "clerk")
    return admin_client, clerk_client, admin.id, clerk.id


def test_admin_deactivates_a_user_whose_session_ends_then_reactivates(app: Flask) -> None:
    admin_client, clerk_client, _admin_id, clerk_id = _admin_and_clerk(app)
    page = admin_client.get("/admin/")
    assert "Desactiva clerk" in page.text and "Desactiva admin" not in page.text  # never yourself
    token = csrf_token(admin_client, "/admin/")
    assert admin_client.post(f"/admin/users/{clerk_id}/deactivate", data={"csrf_token": token}).status_code == 302
    assert not _logged_in(clerk_client)  # the clerk's open session stops working
    again = app.test_client()
    assert again.post("/login", data={"csrf_token": csrf_token(again, "/login"), "username": "clerk",
                                      "password": PASSWORD}).status_code == 401
    assert "Reactiva clerk" in admin_client.get("/admin/").text
    token = csrf_token(admin_client, "/admin/")
    assert admin_client.post(f"/admin/users/{clerk_id}/reactivate", data={"csrf_token": token}).status_code == 302
    assert not _logged_in(clerk_client)  # reactivation does not revive the old session
    login(again, "clerk")
    assert _logged_in(again)
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.seq)]
    assert actions[-2:] == ["user.deactivated", "user.reactivated"]


def test_an_admin_cannot_deactivate_themselves_nor_users_of_another_tenant(app: Flask) -> None:
    admin_client, _clerk_client, admin_id, _clerk_id = _admin_and_clerk(app)
    stranger = make_user("stranger", make_tenant("ajt-altre", dir3="L01250077"), ("tramitador",))
    db.session.commit()
    token = csrf_token(admin_client, "/admin/")
    own = admin_client.post(f"/admin/users/{admin_id}/deactivate", data={"csrf_token": token})
    assert own.status_code == 409 and "el vostre propi compte" in own.text
    other = admin_client.post(f"/admin/users/{stranger.id}/deactivate", data={"csrf_token": token})
    assert other.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, admin_id).active and db.session.get(User, stranger.id).active
    assert _logged_in(admin_client)


def test_a_clerk_cannot_deactivate_anyone(app: Flask) -> None:
    _admin_client, clerk_client, admin_id, _clerk_id = _admin_and_clerk(app)
    token = csrf_token(clerk_client, "/")
    assert clerk_client.post(f"/admin/users/{admin_id}/deactivate", data={"csrf_token": token}).status_code == 403
