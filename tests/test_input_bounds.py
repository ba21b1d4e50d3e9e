"""Numbers beyond what the database holds answer 404 or 400 with a readable message, never 500
(run it with DATABASE_URL on PostgreSQL too, where int4 overflows)."""

from __future__ import annotations

import pytest

from engine.base.db import db
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for, login, make_tenant, make_user

HUGE = "99999999999999999999"
EN = {"Accept-Language": "en"}


@pytest.fixture
def clerk(client):
    tenant = make_tenant()
    user = make_user("clerk", tenant, ("tramitador", "dissenyador", "secretari", "admin"))
    secret = create_token(ctx_for(user, tenant), "script").secret
    db.session.commit()
    login(client, "clerk")
    return secret


@pytest.mark.parametrize("path", [
    f"/expedients/{HUGE}",
    "/expedients/2147483648",
    f"/tasks/{HUGE}",
])
def test_ids_beyond_the_integer_range_are_not_found(client, clerk, path):
    response = client.get(path, headers=EN)
    assert response.status_code == 404, response.status_code


@pytest.mark.parametrize("path", [
    "/deadlines?start=9999-12-31&amount=10&unit=working_days",
    "/deadlines?start=9999-12-31&amount=10&unit=natural_days",
    "/deadlines?start=9999-12-31&amount=10&unit=months",
    f"/deadlines?start=2026-01-02&amount={HUGE}&unit=months",
    f"/registry?year={HUGE}",
    "/registry?year=9999",
    f"/registry?page={HUGE}",
    f"/decrees/book?year={HUGE}",
    f"/tasks?page={HUGE}",
])
def test_out_of_range_query_arguments_are_refused_readably(client, clerk, path):
    response = client.get(path, headers=EN)
    assert response.status_code in (200, 400, 404, 422), (path, response.status_code)
    assert "Something went wrong on our side" not in response.get_data(as_text=True)


def test_out_of_range_registry_year_says_which_numbers_are_accepted(client, clerk):
    response = client.get(f"/registry?year={HUGE}", headers=EN)
    assert response.status_code == 422
    # Pages follow the user's language (Catalan here); the message names the accepted range.
    assert "Introduïu un nombre enter entre 1900 i 2999." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [f"/api/v1/expedients/{HUGE}", f"/api/v1/tasks/{HUGE}", f"/api/v1/tasks?page={HUGE}"])
def test_api_out_of_range_ids_in_paths(client, clerk, path):
    response = client.get(path, headers={"Authorization": f"Bearer {clerk}", **EN})
    assert response.status_code in (404, 422), response.status_code
    assert response.is_json


@pytest.mark.parametrize("body", [
    {"process_model_id": int(HUGE)},
    {"process_model_id": 1, "registry_entry_id": int(HUGE)},
    {"process_model_id": HUGE},
    {"process_model_id": 2**31},
])
def test_api_bodies_with_huge_ids_are_refused(client, clerk, body):
    response = client.post("/api/v1/expedients", json=body, headers={"Authorization": f"Bearer {clerk}", **EN})
    assert response.status_code in (400, 404, 422), response.get_data(as_text=True)
    assert response.is_json and response.get_json()["message"]


def test_form_ids_beyond_the_integer_range_are_refused_readably(client, clerk):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/registry/new")
    for path, data in (
        ("/registry/1/open", {"process_model_id": HUGE}),
        ("/expedients/1/notifications", {"party_id": HUGE, "document_id": HUGE}),
        ("/admin/signing-officers", {"alcalde": HUGE, "secretari": HUGE}),
        ("/admin/holidays", {"year": HUGE}),
        ("/signatures/batch", {"step_id": HUGE, "password": "x"}),
    ):
        response = client.post(path, data={**data, "csrf_token": token}, headers=EN)
        assert response.status_code != 500, path
        assert "Something went wrong on our side" not in response.get_data(as_text=True), path
