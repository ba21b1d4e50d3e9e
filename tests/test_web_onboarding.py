"""The web side of onboarding and the admin basics: the CSV upload and its progress report,
forms that keep what was typed, editing users, one-time password links, the welcome checklist."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.base.clock import utcnow
from engine.base.db import db
from engine.onboarding.models import TenantImport
from engine.tenancy.login import authenticate
from engine.tenancy.models import Tenant, User
from engine.tenancy.password_links import PasswordLink
from tests.conftest import PASSWORD, csrf_token, login, make_tenant, make_user
from tests.onboarding_helpers import csv_file, link_in, mail_sink, platform_context
from tests.services import run_queued_jobs
from tests.test_tenant_import import BAD_ROWS, LLEIDA, SUCS
from tests.web_clerk import field_error


@pytest.fixture
def platform_client(client):
    platform_context()
    login(client, "plataforma")
    token = csrf_token(client, "/admin/tenants")
    client.post("/locale", data={"locale": "en", "csrf_token": token})
    return client, token


def test_the_csv_upload_shows_a_progress_bar_and_the_report_of_each_row(app, platform_client):
    client, token = platform_client
    with mail_sink(app):
        response = client.post("/admin/tenants/import", data={
            "file": (io.BytesIO(csv_file(LLEIDA, BAD_ROWS[1][0], SUCS)), "ens.csv"), "csrf_token": token})
        run_queued_jobs()
    assert response.status_code == 302
    job = db.session.execute(select(TenantImport)).scalar_one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<progress class="w-100 mb-2" id="import-bar" max="100" value="100"' in page
    assert "hx-trigger" not in page  # finished: no more polling
    fragment = client.get(f"/admin/tenants/imports/{job.id}/progress").get_data(as_text=True)
    report = re.sub(r"\s+", " ", fragment)
    assert "3 of 3 rows" in report and "2 created" in report and "1 not imported" in report
    assert "an ajuntament&#39;s DIR3 code is L01170792" in report
    assert 'data-line="3"' in report


def test_an_unfinished_import_is_polled(platform_client):
    client, _token = platform_client
    provincial = db.session.execute(select(Tenant).where(Tenant.code == "diputacio")).scalar_one()
    job = TenantImport(tenant_id=provincial.id, filename="ens.csv", rows=[{"name": "A"}, {"name": "B"}],
                       outcomes=[{"line": 2, "name": "A", "status": "created", "messages": [],
                                  "admin_username": "a"}])  # fmt: skip
    db.session.add(job)
    db.session.commit()
    fragment = client.get(f"/admin/tenants/imports/{job.id}/progress").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and 'id="import-bar" max="100" value="50"' in fragment


def test_a_file_that_is_not_the_csv_keeps_the_page_with_the_reason(platform_client):
    client, token = platform_client
    response = client.post("/admin/tenants/import", data={
        "file": (io.BytesIO(b"nom;tipus\n"), "ens.csv"), "csrf_token": token})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "import-file")  # beside the file it is about


def test_a_refused_tenant_form_keeps_what_was_typed_and_marks_required_fields(platform_client):
    client, token = platform_client
    form = client.get("/admin/tenants").get_data(as_text=True)
    ine_label = re.search(r'<label class="form-label" for="t-ine">(.*?)</label>', form).group(1)
    assert "*" in ine_label  # the INE field is marked required
    response = client.post("/admin/tenants", data={
        "name": "Ajuntament de Lleida", "code": "paeria", "kind": "ajuntament", "dir3": "L01251207",
        "ine_code": "251200", "comarca": "Segrià", "admin_username": "admin.paeria",
        "admin_full_name": "Maria Puig", "admin_password": "una contrasenya llarga", "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "its control digit should be 7" in (field_error(html, "t-ine") or "")
    assert 'aria-describedby="t-ine-error t-ine-help"' in html
    assert "una contrasenya llarga" not in html  # a password is never sent back
    assert 'value="Ajuntament de Lleida"' in html and 'value="Segrià"' in html and 'value="admin.paeria"' in html
    assert 'id="t-ine" name="ine_code" value="251200"' in html.replace('class="form-control is-invalid" ', "")
    assert db.session.execute(select(Tenant).where(Tenant.code == "paeria")).first() is None


@pytest.fixture
def admin_client(client):
    tenant = make_tenant(signing_officers={"alcalde": None, "secretari": None})
    make_user("admina", tenant, ("admin",), full_name="Ada Admin")
    make_user("tomas", tenant, ("tramitador",), full_name="Tomàs Vila", email="tomas@proves.test")
    db.session.commit()
    login(client, "admina")
    token = csrf_token(client, "/admin/")
    client.post("/locale", data={"locale": "en", "csrf_token": token})
    return client, tenant, token


def _user(username: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_an_admin_edits_a_user_with_role_labels_and_a_refusal_keeps_the_input(admin_client):
    client, tenant, token = admin_client
    tomas = _user("tomas")
    page = client.get(f"/admin/users/{tomas.id}").get_data(as_text=True)
    assert ">Clerk (tramitador)</label>" in page and ">Mayor</label>" in page
    refused = client.post(f"/admin/users/{tomas.id}", data={
        "full_name": "Tomàs Vila i Puig", "email": "no-es-correu", "roles": ["alcalde"], "csrf_token": token})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="Tomàs Vila i Puig"' in html and 'value="no-es-correu"' in html
    assert re.search(r'value="alcalde" checked', html)
    assert _user("tomas").full_name == "Tomàs Vila"
    saved = client.post(f"/admin/users/{tomas.id}", data={
        "full_name": "Tomàs Vila i Puig", "email": "tomas@proves.test", "roles": ["alcalde", "tramitador"],
        "csrf_token": token})
    assert saved.status_code == 302
    assert (_user("tomas").full_name, _user("tomas").roles_in(tenant.id)) == (
        "Tomàs Vila i Puig", {"alcalde", "tramitador"})


def test_the_last_administrator_keeps_the_role(admin_client):
    client, _tenant, token = admin_client
    admina = _user("admina")
    response = client.post(f"/admin/users/{admina.id}", data={
        "full_name": "Ada Admin", "email": "", "roles": ["tramitador"], "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert field_error(html, "u-roles") == "A municipality must keep at least one administrator."
    assert 'value="Ada Admin"' in html and 'value="tramitador" checked' in html and 'value="admin" checked' not in html


def test_a_refused_new_user_keeps_what_was_typed(admin_client):
    client, _tenant, token = admin_client
    response = client.post("/admin/users", data={"username": "nova", "full_name": "Núria Nova",
                                                 "email": "nuria@proves.test", "password": "curta",
                                                 "roles": ["tecnic"], "csrf_token": token})  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Núria Nova"' in html and 'value="nuria@proves.test"' in html and 'value="tecnic" checked' in html


def test_a_password_reset_is_a_one_time_expiring_link_stored_hashed(app, admin_client):
    client, _tenant, token = admin_client
    tomas = _user("tomas")
    with mail_sink(app) as smtp:
        response = client.post(f"/admin/users/{tomas.id}/password-link", data={"csrf_token": token})
    assert response.status_code == 200
    path = link_in(response.get_data(as_text=True))
    assert link_in(smtp.messages[0]["body"]) == path and smtp.messages[0]["to"] == ["tomas@proves.test"]
    secret = path.rsplit("/", 1)[1]
    assert authenticate("tomas", PASSWORD) is None  # the old password stopped working
    stored = db.session.execute(select(PasswordLink.token_hash)).scalars().all()
    assert secret not in stored and len(stored) == 1 and len(stored[0]) == 64

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "tomas" in page.get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    mismatch = visitor.post(path, data={"new_password": "una contrasenya nova", "repeat_password": "una altra",
                                        "csrf_token": form_token})  # fmt: skip
    assert mismatch.status_code == 422
    assert field_error(mismatch.get_data(as_text=True), "repeat_password")  # beside the field it names
    assert "una contrasenya nova" not in mismatch.get_data(as_text=True)
    done = visitor.post(path, data={"new_password": "una contrasenya nova", "repeat_password": "una contrasenya nova",
                                    "csrf_token": form_token})  # fmt: skip
    assert done.status_code == 302
    assert authenticate("tomas", "una contrasenya nova") is not None
    assert visitor.get(path).status_code == 404  # used once: no more


def test_an_expired_link_opens_nothing(app, admin_client):
    client, _tenant, token = admin_client
    tomas = _user("tomas")
    response = client.post(f"/admin/users/{tomas.id}/password-link", data={"csrf_token": token})
    path = link_in(response.get_data(as_text=True))
    link = db.session.execute(select(PasswordLink)).scalar_one()
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = app.test_client().get(path)
    assert page.status_code == 404 and 'id="link-invalid"' in page.get_data(as_text=True)


def test_the_welcome_checklist_ticks_itself_when_things_are_really_done(admin_client):
    client, _tenant, token = admin_client

    def states() -> dict[str, str]:
        html = client.get("/admin/").get_data(as_text=True)
        return dict(re.findall(r'data-item="(\w+)" data-done="(\w+)"', html))

    assert states() == {"holidays": "no", "officers": "no", "seal": "no", "logo": "no", "users": "yes"}
    page = client.get("/admin/").get_data(as_text=True)
    assert "Vacant: give someone the role Mayor" in page and "Vacant: give someone the role Secretary" in page
    year = utcnow().year
    client.post("/admin/holidays", data={"year": str(year), "dates": [f"{year}-05-11", f"{year}-09-29"],
                                         "csrf_token": token})  # fmt: skip
    tomas, admina = _user("tomas"), _user("admina")
    client.post(f"/admin/users/{tomas.id}", data={"full_name": tomas.full_name, "email": tomas.email,
                                                  "roles": ["alcalde"], "csrf_token": token})  # fmt: skip
    client.post(f"/admin/users/{admina.id}", data={"full_name": admina.full_name, "email": "",
                                                   "roles": ["admin", "secretari"], "csrf_token": token})  # fmt: skip
    client.post("/admin/signing-officers", data={"alcalde": str(tomas.id), "csrf_token": token})
    assert states()["officers"] == "no"  # the secretary's office is still vacant
    client.post("/admin/signing-officers", data={"secretari": str(admina.id), "csrf_token": token})
    after = states()
    assert (after["holidays"], after["officers"], after["seal"]) == ("yes", "yes", "no")
    home = client.get("/").get_data(as_text=True)
    assert 'id="welcome-checklist"' in home


def test_an_admin_cannot_edit_or_reset_a_user_of_another_municipality(admin_client):
    client, _tenant, token = admin_client
    other = make_tenant("ajt-altre", "Ajuntament d'Altre", dir3="L01250024", ine_code="250024")
    stranger = make_user("estranya", other, ("tramitador",))
    db.session.commit()
    assert client.get(f"/admin/users/{stranger.id}").status_code == 404
    assert client.post(f"/admin/users/{stranger.id}/password-link", data={"csrf_token": token}).status_code == 404
    assert authenticate("estranya", PASSWORD) is not None


def test_the_platform_admin_sends_a_new_link_to_a_tenant_s_administrator(app, platform_client):
    client, token = platform_client
    with mail_sink(app):
        client.post("/admin/tenants/import", data={
            "file": (io.BytesIO(csv_file(LLEIDA)), "ens.csv"), "csrf_token": token})
        run_queued_jobs()
    lleida = db.session.execute(select(Tenant).where(Tenant.dir3 == "L01251207")).scalar_one()
    maria = _user("maria.puig")
    page = client.get(f"/admin/tenants/{lleida.id}").get_data(as_text=True)
    assert "maria.puig" in page
    with mail_sink(app) as smtp:
        response = client.post(f"/admin/tenants/{lleida.id}/users/{maria.id}/password-link",
                               data={"csrf_token": token})  # fmt: skip
    assert response.status_code == 200
    path = link_in(response.get_data(as_text=True))
    assert link_in(smtp.messages[0]["body"]) == path
    # The link of the welcome e-mail stopped working: only the newest one opens the account.
    assert len(db.session.execute(select(PasswordLink).where(PasswordLink.used_at.is_(None))).all()) == 1
    assert app.test_client().get(path).status_code == 200
