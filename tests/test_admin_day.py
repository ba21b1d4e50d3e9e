"""A day of a municipality's administrator and of the platform administrator: a refused change
to a user shows above the users table (not on an error page of its own), what cannot be undone
in one click asks first, dates and jobs are written in words, and a mistyped page number is the
first page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.base.jobs import enqueue, job_queue, redis_connection
from engine.process.instances.tasks import run_engine_steps
from engine.tenancy.models import Tenant, User
from tests.conftest import csrf_token, login, make_tenant, make_user
from tests.services import run_queued_jobs


@pytest.fixture
def admin_client(client):
    tenant = make_tenant()
    make_user("admina", tenant, roles=("admin",))
    make_user("clerk", tenant, roles=("tramitador",))
    db.session.commit()
    login(client, "admina")
    token = csrf_token(client, "/admin/")
    client.post("/locale", data={"locale": "en", "csrf_token": token})
    return client, tenant, token


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_revoking_the_last_administrator_is_refused_above_the_users_table(admin_client):
    client, _tenant, token = admin_client
    admina = _user("admina")
    response = client.post(f"/admin/users/{admina.id}/roles/admin/revoke", data={"csrf_token": token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    users_section = page[page.index('id="users-title"'):page.index('id="add-user"')]
    assert re.search(r'id="users-error">[^<]*administrator', users_section)
    assert 'id="users"' in page  # the page itself, to go on from
    db.session.expire_all()
    assert "admin" in _user("admina").roles_in(_tenant.id)


def test_granting_an_unknown_role_is_refused_on_the_page(admin_client):
    client, _tenant, token = admin_client
    clerk = _user("clerk")
    response = client.post(f"/admin/users/{clerk.id}/roles", data={"role": "emperor", "csrf_token": token})
    assert response.status_code == 422
    assert 'id="users-error"' in response.get_data(as_text=True)


def test_deactivating_a_user_asks_first(admin_client):
    client, _tenant, _token = admin_client
    clerk = _user("clerk")
    page = client.get("/admin/").get_data(as_text=True)
    asked = re.search(rf'<details[^>]*data-confirm="deactivate-{clerk.id}">(.*?)</details>', page, re.S)
    assert asked, "the deactivation is not behind a question"
    assert "<summary" in asked[1] and f'action="/admin/users/{clerk.id}/deactivate"' in asked[1]
    assert "open sessions end now" in asked[1] and "Yes, deactivate clerk" in asked[1]


def test_resetting_a_password_asks_first(admin_client):
    client, _tenant, _token = admin_client
    clerk = _user("clerk")
    page = client.get(f"/admin/users/{clerk.id}").get_data(as_text=True)
    asked = re.search(r'<details[^>]*data-confirm="password-link">(.*?)</details>', page, re.S)
    assert asked and f'action="/admin/users/{clerk.id}/password-link"' in asked[1]
    assert "Yes, reset the password of clerk" in asked[1]


def test_local_holidays_are_listed_as_dates_in_the_page_language(admin_client):
    client, tenant, token = admin_client
    response = client.post("/admin/holidays", data={"year": "2026", "dates": ["2026-05-15", "2026-09-29"],
                                                    "csrf_token": token})
    assert response.status_code == 302
    listed = re.search(r'<ul id="holidays">(.*?)</ul>', client.get("/admin/").get_data(as_text=True), re.S)[1]
    assert "May 15, 2026" in listed or "15 May 2026" in listed
    assert "2026-05-15" not in listed
    assert db.session.get(Tenant, tenant.id).local_holidays["2026"] == ["2026-05-15", "2026-09-29"]


def test_the_platform_admin_sends_a_password_link_after_a_question(client, platform):
    lleida = make_tenant("lleida", "Paeria de Lleida", dir3="L01251207", ine_code="25120")
    make_user("maria", lleida, roles=("admin",))
    db.session.commit()
    login(client, "plataforma")
    page = client.get(f"/admin/tenants/{lleida.id}").get_data(as_text=True)
    maria = _user("maria")
    asked = re.search(rf'<details[^>]*data-confirm="password-link-{maria.id}">(.*?)</details>', page, re.S)
    assert asked and f"/admin/tenants/{lleida.id}/users/{maria.id}/password-link" in asked[1]


def test_a_mistyped_page_number_of_the_platform_list_is_the_first_page(client, platform):
    login(client, "plataforma")
    for page in ("abc", "0", "-3"):
        response = client.get(f"/admin/tenants?page={page}")
        assert response.status_code == 200
        assert 'id="tenants"' in response.get_data(as_text=True)


def test_a_failed_job_says_what_it_was_and_for_the_platform_whose(app, client, platform, with_redis):
    tenant = make_tenant("ajt-jobs", "Ajuntament dels Treballs", dir3="L01250011", ine_code="25001")
    make_user("admin-jobs", tenant, roles=("admin",))
    db.session.commit()
    job_id = enqueue(run_engine_steps, tenant.id, 987654)  # an instance that is not there: the job fails
    assert job_id
    queue = job_queue(redis_connection())  # type: ignore[arg-type]
    for _ in range(5):
        run_queued_jobs()
        for scheduled in queue.scheduled_job_registry.get_job_ids():
            queue.scheduled_job_registry.requeue(scheduled)
    assert queue.failed_job_registry.get_job_ids() == [job_id]

    login(client, "admin-jobs")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/admin/jobs/")})
    row = _job_row(client.get("/admin/jobs/").get_data(as_text=True), job_id)
    assert re.search(r"<td data-job-label>Automatic steps of a case file<br>", row)
    assert "engine.process" not in re.sub(r'title="[^"]*"', "", row)  # the import path only as a tooltip
    assert "data-job-tenant" not in row  # a municipality's admin sees only its own jobs

    other = app.test_client()
    login(other, "plataforma")
    other.post("/locale", data={"locale": "en", "csrf_token": csrf_token(other, "/admin/jobs/")})
    row = _job_row(other.get("/admin/jobs/").get_data(as_text=True), job_id)
    assert "<td data-job-tenant>Ajuntament dels Treballs</td>" in row


def _job_row(page: str, job_id: str) -> str:
    found = re.search(rf'<tr data-job-id="{re.escape(job_id)}">(.*?)</tr>', page, re.S)
    assert found, "the failed job is not listed"
    return found[1]


def test_the_monthly_flow_of_a_tenant_names_its_counts(client, platform):
    lleida = make_tenant("lleida", "Paeria de Lleida", dir3="L01251207", ine_code="25120")
    db.session.commit()
    login(client, "plataforma")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/admin/tenants")})
    page = client.get(f"/admin/tenants/{lleida.id}").get_data(as_text=True)
    assert re.search(r'<th scope="col">Month</th><th scope="col">Opened case files</th>'
                     r'<th scope="col">Resolved case files</th>', page)
