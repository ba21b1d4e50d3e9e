"""Administració: incidents, users and roles, local holidays, signing officers, and tenants."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.process.definition.deploy import deploy_process
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask, Incident
from engine.tenancy.models import Tenant, User
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user
from tests.engine_helpers import make_version
from tests.test_procedures_engine import _model as service_model
from tests.web_clerk import field_error
from webapp.views import admin


@pytest.fixture
def admin_client(client):
    tenant = make_tenant()
    make_user("admina", tenant, roles=("admin", "tramitador"))
    make_user("alcaldessa", tenant, roles=("alcalde",))
    db.session.commit()
    login(client, "admina")
    token = csrf_token(client, "/admin/")
    client.post("/locale", data={"locale": "en", "csrf_token": token})
    return client, tenant, token


def _incident(tenant) -> Incident:
    admin = db.session.execute(select(User).where(User.username == "admina")).scalar_one()
    ctx = ctx_for(admin, tenant)
    make_version(tenant.id, "exec_incident")
    started = instances.start_instance(ctx, "exec_incident", data={"divisor": 0})
    task = db.session.execute(select(HumanTask).where(HumanTask.instance_id == started["instance_id"])).scalar_one()
    assert instances.complete_task(ctx, task.id, {"amount": 5})["status"] == "incident"
    return db.session.execute(select(Incident)).scalar_one()


def test_incidents_are_listed_and_skipping_needs_a_reason(admin_client):
    client, tenant, token = admin_client
    incident = _incident(tenant)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="incidents"' in page and "compute" in page
    refused = client.post(f"/admin/incidents/{incident.id}/skip", data={"reason": " ", "csrf_token": token})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), f"reason-{incident.id}") == "Say why the step is skipped."
    db.session.refresh(incident)
    assert incident.state == "open"
    done = client.post(f"/admin/incidents/{incident.id}/skip", data={"reason": "Taxa exempta", "csrf_token": token})
    assert done.status_code == 302
    db.session.refresh(incident)
    assert (incident.state, incident.resolution_reason, incident.resolved_by) == ("skipped", "Taxa exempta", "admina")


def test_retrying_an_incident_that_fails_again_keeps_the_instance_waiting(admin_client):
    client, tenant, token = admin_client
    incident = _incident(tenant)
    response = client.post(f"/admin/incidents/{incident.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    states = db.session.execute(select(Incident.state).order_by(Incident.id)).scalars().all()
    assert states == ["retried", "open"]  # the division by zero failed again: a new incident
    page = client.get("/admin/").get_data(as_text=True)
    assert "alert-danger" in page and "failed again" in page and "division by zero" in page


def test_add_user_grant_and_revoke_roles(admin_client):
    client, tenant, token = admin_client
    response = client.post("/admin/users", data={"username": "nou.tecnic", "full_name": "Nou Tècnic",
                                                 "password": "una contrasenya llarga", "roles": ["tecnic"],
                                                 "csrf_token": token})
    assert response.status_code == 302
    user = db.session.execute(select(User).where(User.username == "nou.tecnic")).scalar_one()
    assert user.roles_in(tenant.id) == {"tecnic"}
    client.post(f"/admin/users/{user.id}/roles", data={"role": "tramitador", "csrf_token": token})
    client.post(f"/admin/users/{user.id}/roles/tecnic/revoke", data={"csrf_token": token})
    db.session.expire_all()
    assert user.roles_in(tenant.id) == {"tramitador"}
    page = client.get("/admin/").get_data(as_text=True)
    assert "nou.tecnic" in page


def test_a_short_password_is_refused_with_the_field(admin_client):
    client, _tenant, token = admin_client
    response = client.post("/admin/users", data={"username": "curta", "full_name": "Curta Puig", "password": "curta",
                                                 "email": "curta@example.org", "roles": ["tecnic", "alcalde"],
                                                 "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "nu-password") == "The password must have at least 12 characters."
    assert 'aria-describedby="nu-password-error"' in html
    assert 'value="curta"' in html and 'value="Curta Puig"' in html and 'value="curta@example.org"' in html
    assert 'value="tecnic" checked' in html and 'value="alcalde" checked' in html
    assert 'value="tramitador" checked' not in html
    assert 'name="password" type="password" minlength="12" required autocomplete="new-password">' in html  # not echoed
    no_role = client.post("/admin/users", data={"username": "curta", "full_name": "Curta Puig",
                                                "password": "una contrasenya llarga", "csrf_token": token})
    html = no_role.get_data(as_text=True)
    assert no_role.status_code == 422 and field_error(html, "nu-roles") == "Give the user at least one role."
    assert '<fieldset class="col-md-3" aria-describedby="nu-roles-error">' in html
    taken = client.post("/admin/users", data={"username": "admina", "full_name": "Una Altra",
                                              "password": "una contrasenya llarga", "roles": ["tecnic"],
                                              "csrf_token": token})
    assert taken.status_code == 409
    assert field_error(taken.get_data(as_text=True), "nu-username") == "The username admina is already taken."
    assert db.session.execute(select(User).where(User.username == "curta")).first() is None


def test_a_refused_setting_keeps_what_was_typed_beside_its_field(admin_client):
    client, tenant, token = admin_client
    one_day = client.post("/admin/holidays", data={"year": "2027", "dates": ["2027-05-17", ""], "csrf_token": token})
    html = one_day.get_data(as_text=True)
    assert one_day.status_code == 422
    assert field_error(html, "holidays") == "A municipality has exactly 2 local holidays a year."
    assert 'id="hol-year" name="year" inputmode="numeric" value="2027"' in html
    assert 'id="hol-1" name="dates" type="date" value="2027-05-17"' in html
    bad_year = client.post("/admin/holidays", data={"year": "27", "dates": ["2027-05-17", "2027-09-08"],
                                                    "csrf_token": token})
    html = bad_year.get_data(as_text=True)
    assert bad_year.status_code == 422 and field_error(html, "hol-year") == "Write the year with four digits."
    assert 'id="hol-2" name="dates" type="date" value="2027-09-08"' in html

    act = client.post("/admin/csv-regulation", data={"csv_regulation": "Decret", "csrf_token": token})
    html = act.get_data(as_text=True)
    assert act.status_code == 422
    assert field_error(html, "csv-regulation") == "Name the act in full: its kind, number, date and title."
    assert 'name="csv_regulation" maxlength="500" value="Decret"' in html

    seal = client.post("/admin/seal", data={"password": "secret-seal-pass", "csrf_token": token,
                                            "seal": (io.BytesIO(b"not a pkcs12"), "segell.p12")},
                       content_type="multipart/form-data")
    html = seal.get_data(as_text=True)
    assert seal.status_code == 422 and field_error(html, "seal-file")
    assert "secret-seal-pass" not in html  # a password is never sent back

    clerk = db.session.execute(select(User).where(User.username == "admina")).scalar_one()
    officer = client.post("/admin/signing-officers", data={"alcalde": str(clerk.id), "csrf_token": token})
    html = officer.get_data(as_text=True)
    assert officer.status_code == 422
    assert field_error(html, "officer-alcalde") == "admina does not hold the role Mayor here."
    assert 'aria-describedby="officer-alcalde-error officer-alcalde-help"' in html
    db.session.expire_all()
    tenant = db.session.get(Tenant, tenant.id)
    assert not tenant.local_holidays and tenant.csv_regulation is None and not tenant.signing_officers


def test_local_holidays_and_signing_officers(admin_client):
    client, tenant, token = admin_client
    response = client.post("/admin/holidays", data={"year": "2027", "dates": ["2027-05-17", "2027-09-08"],
                                                    "csrf_token": token})
    assert response.status_code == 302
    mayor = db.session.execute(select(User).where(User.username == "alcaldessa")).scalar_one()
    client.post("/admin/signing-officers", data={"alcalde": str(mayor.id), "secretari": "", "csrf_token": token})
    db.session.expire_all()
    tenant = db.session.get(Tenant, tenant.id)
    assert tenant.local_holidays["2027"] == ["2027-05-17", "2027-09-08"]
    assert tenant.signing_officers == {"alcalde": mayor.id}
    one_day = client.post("/admin/holidays", data={"year": "2027", "dates": ["2027-05-17"], "csrf_token": token})
    assert one_day.status_code == 422


def test_local_holidays_are_proposed_for_the_catalan_year(admin_client, monkeypatch):
    client, _, _ = admin_client
    # 23:30 UTC on New Year's Eve is already 1 January 2027 in Catalonia.
    monkeypatch.setattr(admin, "utcnow", lambda: datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="hol-year" name="year" inputmode="numeric" value="2027"' in page


def test_only_platform_admins_see_and_create_tenants(admin_client):
    client, _tenant, token = admin_client
    assert client.get("/admin/tenants").status_code == 403
    user = db.session.execute(select(User).where(User.username == "admina")).scalar_one()
    user.platform_admin = True
    db.session.commit()
    assert client.get("/admin/tenants").status_code == 200
    response = client.post("/admin/tenants", data={
        "name": "Ajuntament de Nou", "code": "ajt-nou", "kind": "ajuntament", "dir3": "L01250019",
        "ine_code": "250019", "admin_username": "admin.nou", "admin_full_name": "Admin Nou",
        "admin_password": "una contrasenya llarga", "csrf_token": token})
    assert response.status_code == 302
    new = db.session.execute(select(Tenant).where(Tenant.code == "ajt-nou")).scalar_one()
    admin = db.session.execute(select(User).where(User.username == "admin.nou")).scalar_one()
    assert admin.roles_in(new.id) == {"admin"}


def test_clerks_cannot_administer(client):
    tenant = make_tenant()
    make_user("clerk", tenant, roles=("tramitador",))
    db.session.commit()
    login(client, "clerk")
    assert client.get("/admin/").status_code == 403


def test_an_incident_reads_in_the_administrators_language_with_the_steps_name(admin_client):
    """A step that failed on one of GEE's own checks: the Spanish-speaking admin reads the step's
    name and the message in Spanish, not the element id nor the worker's language."""
    client, tenant, token = admin_client
    admin = db.session.execute(select(User).where(User.username == "admina")).scalar_one()
    ctx = ctx_for(admin, tenant)
    assert deploy_process(ctx, service_model()).ok
    db.session.commit()
    started = instances.start_instance(ctx, "servei_prova")  # no expedient: the document has nowhere to go
    task = db.session.execute(select(HumanTask).where(HumanTask.instance_id == started["instance_id"])).scalar_one()
    assert instances.complete_task(ctx, task.id, {})["status"] == "incident"
    client.post("/locale", data={"locale": "es", "csrf_token": token})
    page = client.get("/admin/").get_data(as_text=True)
    row = page[page.index('data-incident-id='):]
    assert "Generar el documento" in row and ">gen<" in row
    assert "El procedimiento no tiene expediente: inícielo en un expediente." in row
