"""The page where users create and revoke their API tokens."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.base.db import db
from engine.tenancy.tokens import ApiToken, digest
from tests.conftest import csrf_token, login, make_tenant, make_user


def test_create_shows_the_secret_once_and_revoke_disables_it(client):
    tenant = make_tenant()
    make_user("anna", tenant, roles=("tramitador",))
    db.session.commit()
    login(client, "anna")
    token = csrf_token(client, "/api-tokens/")
    page = client.post("/api-tokens/", data={"name": "Integració padró", "csrf_token": token})
    assert page.status_code == 201
    secret = re.search(r'id="token-secret" type="text" readonly value="(gee_[^"]+)"', page.get_data(as_text=True))[1]
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert row.token_hash == digest(secret) and row.name == "Integració padró"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    listing = client.get("/api-tokens/").get_data(as_text=True)
    assert secret not in listing and row.hint in listing

    revoked = client.post(f"/api-tokens/{row.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_token_without_a_name_is_refused_and_nothing_is_stored(client):
    tenant = make_tenant()
    make_user("anna", tenant, roles=("tramitador",))
    db.session.commit()
    login(client, "anna")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/")})
    response = client.post("/api-tokens/", data={"name": "  ", "csrf_token": csrf_token(client, "/api-tokens/")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="token-name-error">Give the token a name, e.g. the program that will use it.<', html)
    assert 'aria-describedby="token-name-error"' in html
    assert db.session.execute(select(ApiToken)).first() is None


def test_nobody_revokes_someone_elses_token(client):
    tenant = make_tenant()
    make_user("anna", tenant, roles=("tramitador",))
    other = make_user("berta", tenant, roles=("admin",))
    db.session.add(ApiToken(user_id=other.id, tenant_id=tenant.id, name="b", token_hash="0" * 64, hint="gee_0000"))
    db.session.commit()
    login(client, "anna")
    theirs = db.session.execute(select(ApiToken)).scalar_one()
    response = client.post(f"/api-tokens/{theirs.id}/revoke", data={"csrf_token": csrf_token(client, "/api-tokens/")})
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None
