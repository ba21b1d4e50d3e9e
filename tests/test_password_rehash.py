"""Passwords are hashed with OWASP's argon2id parameters; a hash stored with older parameters
(argon2-cffi's defaults) still logs in and is replaced by the login."""

from __future__ import annotations

from argon2 import PasswordHasher
from flask.testing import FlaskClient

from engine.base.db import db
from engine.tenancy.models import Tenant, User
from tests.conftest import PASSWORD, login, make_user


def _stored_hash(username: str) -> str:
    db.session.expire_all()
    return db.session.query(User).filter_by(username=username).one().password_hash


def test_a_new_password_is_hashed_with_owasp_argon2id_parameters(tenant: Tenant) -> None:
    make_user("nova", tenant, ("tramitador",))
    db.session.commit()
    assert _stored_hash("nova").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_old_parameter_hash_still_logs_in_and_is_rehashed(client: FlaskClient, tenant: Tenant) -> None:
    user = make_user("antiga", tenant, ("tramitador",))
    user.password_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    db.session.commit()
    assert _stored_hash("antiga").startswith("$argon2id$v=19$m=65536,t=3,p=4$")

    login(client, "antiga")

    assert _stored_hash("antiga").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    login(client.application.test_client(), "antiga")  # the new hash verifies the same password
