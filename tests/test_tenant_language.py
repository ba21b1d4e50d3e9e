"""Each municipality's default language (issue #19): its public pages speak it whatever the
browser asks until the citizen chooses another, its documents are written in it when nobody
chose, the platform sets it at creation and the municipality's administrators change it (audited)."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.documents.documents import read_content
from engine.registry.entries import register_incoming
from engine.tenancy.models import Tenant
from engine.tenancy.tokens import create_token
from tests.conftest import PASSWORD, csrf_token, ctx_for, login, make_tenant, make_user
from webapp.cli import main

ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


def _towns() -> tuple[Tenant, Tenant]:
    """A Catalan-speaking municipality and a Spanish-speaking one, each with an administrator."""
    lleida = make_tenant("ajt-lleida", "Ajuntament de Lleida", dir3="L01251207", ine_code="251207")
    fraga = make_tenant("ajt-fraga", "Ayuntamiento de Fraga", dir3="L01221170", ine_code="221170", default_locale="es")
    make_user("admin.lleida", lleida, ("admin",))
    make_user("admin.fraga", fraga, ("admin",))
    db.session.commit()
    return lleida, fraga


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=ENGLISH_BROWSER)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _choose(client: FlaskClient, page: str, locale: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    client.post("/locale", data={"locale": locale, "csrf_token": token.group(1)}, headers=ENGLISH_BROWSER)


def _saved_locale(tenant: Tenant) -> str:
    return db.session.scalar(
        select(Tenant.default_locale).where(Tenant.id == tenant.id).execution_options(populate_existing=True)
    )


def test_public_pages_speak_the_municipalitys_language_to_an_english_browser(app: Flask) -> None:
    lleida, fraga = _towns()
    citizen = app.test_client()
    spanish = _page(citizen, f"/seu/{fraga.code}/")
    assert '<html lang="es">' in spanish and "Trámites que puede hacer en línea" in spanish
    catalan = _page(citizen, f"/seu/{lleida.code}/")
    assert '<html lang="ca">' in catalan and "Tràmits que podeu fer en línia" in catalan
    assert "Portal de transparencia" in _page(citizen, f"/transparencia/{fraga.code}/")
    assert "Portal de transparència" in _page(citizen, f"/transparencia/{lleida.code}/")
    assert "Tablón de anuncios" in _page(citizen, f"/tauler/{fraga.code}/")
    assert "Tauler d'anuncis" in _page(citizen, f"/tauler/{lleida.code}/")


def test_the_citizens_own_choice_wins_over_the_municipalitys(app: Flask) -> None:
    lleida, fraga = _towns()
    citizen = app.test_client()
    _choose(citizen, _page(citizen, f"/seu/{fraga.code}/"), "ca")
    assert '<html lang="ca">' in _page(citizen, f"/seu/{fraga.code}/")
    _choose(citizen, _page(citizen, f"/seu/{lleida.code}/"), "en")
    english = _page(citizen, f"/seu/{lleida.code}/")
    assert '<html lang="en">' in english and "Procedures you can do online" in english
    assert '<html lang="en">' in _page(citizen, f"/tauler/{fraga.code}/")


def test_staff_pages_keep_following_the_browser(app: Flask) -> None:
    _, fraga = _towns()
    staff = app.test_client()
    assert '<html lang="en">' in _page(staff, "/login")
    # The municipality's default governs its citizens, not its staff's own choice.
    login(staff, "admin.fraga")
    assert '<html lang="ca">' in staff.get("/admin/", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert fraga.default_locale == "es"


def test_a_receipt_nobody_chose_a_language_for_is_in_the_municipalitys(app: Flask) -> None:
    lleida, fraga = _towns()
    for town, title in ((fraga, "Justificante de presentación"), (lleida, "Justificant de presentació")):
        clerk = ctx_for(make_user(f"clerk.{town.code}", town, ("tramitador",)), town)
        # English is no official language of a document: the municipality's default applies.
        for chosen in (None, "en"):
            entry = register_incoming(
                clerk, subject="Instància", channel="electronic", sender="Joan Veí", locale=chosen
            )
            pdf = read_content(clerk, entry.receipt_document_id)[1]
            text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
            assert title in text, (town.code, chosen)
    # A reader who chose Spanish gets Spanish from a Catalan-speaking municipality.
    clerk = ctx_for(make_user("clerk.es", lleida, ("tramitador",)), lleida)
    entry = register_incoming(clerk, subject="Instància", channel="electronic", sender="Joan Veí", locale="es")
    pdf = read_content(clerk, entry.receipt_document_id)[1]
    assert "Justificante de presentación" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    db.session.commit()


def test_the_administrator_changes_the_language_audited(app: Flask) -> None:
    lleida, _ = _towns()
    admin = app.test_client()
    login(admin, "admin.lleida")
    page = admin.get("/admin/").get_data(as_text=True)
    assert '<option value="ca" selected>Català</option>' in page
    done = admin.post("/admin/language", data={"default_locale": "es", "csrf_token": csrf_token(admin, "/admin/")})
    assert done.status_code == 302
    assert _saved_locale(lleida) == "es"
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.tenant_id == lleida.id, AuditEvent.action == "tenant.default_locale")
    ).scalar_one()
    assert (event.before, event.after) == ({"default_locale": "ca"}, {"default_locale": "es"})
    assert event.actor == "admin.lleida"
    assert '<html lang="es">' in _page(app.test_client(), f"/seu/{lleida.code}/")


def test_a_wrong_language_is_refused_in_the_readers_language_and_nothing_changes(app: Flask) -> None:
    lleida, _ = _towns()
    admin = app.test_client()
    login(admin, "admin.lleida")  # their account reads Catalan
    refused = admin.post("/admin/language", data={"default_locale": "fr", "csrf_token": csrf_token(admin, "/admin/")})
    assert refused.status_code == 422
    assert "Llengua desconeguda fr: trieu català, castellà o anglès." in refused.get_data(as_text=True)
    assert _saved_locale(lleida) == "ca"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "tenant.default_locale")).first() is None


def test_another_municipalitys_administrator_cannot_change_it(app: Flask) -> None:
    lleida, fraga = _towns()
    make_user("clerk.lleida", lleida, ("tramitador",))
    db.session.commit()
    # An administrator acts on their own municipality only: Fraga's admin changes Fraga's.
    other = app.test_client()
    login(other, "admin.fraga")
    other.post("/admin/language", data={"default_locale": "en", "csrf_token": csrf_token(other, "/admin/")})
    assert (_saved_locale(lleida), _saved_locale(fraga)) == ("ca", "en")
    # Lleida's staff who are not administrators cannot either.
    clerk = app.test_client()
    login(clerk, "clerk.lleida")
    refused = clerk.post("/admin/language", data={"default_locale": "es", "csrf_token": csrf_token(clerk)})
    assert refused.status_code == 403
    assert _saved_locale(lleida) == "ca"


def test_the_platform_sets_it_when_creating_a_municipality(app: Flask, client: FlaskClient) -> None:
    provincial = make_tenant("diputacio", "Diputació de Lleida", kind="provincial", dir3="L02000025", ine_code=None)
    platform_admin = make_user("plataforma", provincial, ("admin",), platform_admin=True)
    db.session.commit()
    login(client, "plataforma")
    form = {
        "name": "Ayuntamiento de Fraga",
        "code": "ajt-fraga",
        "kind": "ajuntament",
        "dir3": "L01221170",
        "ine_code": "221170",
        "default_locale": "es",
        "admin_username": "admin.fraga",
        "admin_full_name": "Admin Fraga",
        "admin_password": PASSWORD,
        "csrf_token": csrf_token(client, "/admin/tenants"),
    }
    wrong = client.post("/admin/tenants", data={**form, "default_locale": "de"})
    # The platform administrator reads Catalan (their account's language).
    assert wrong.status_code == 422 and "Llengua desconeguda de" in wrong.get_data(as_text=True)
    assert db.session.execute(select(Tenant).where(Tenant.code == "ajt-fraga")).first() is None
    assert client.post("/admin/tenants", data=form).status_code == 302
    assert '<html lang="es">' in _page(app.test_client(), "/seu/ajt-fraga/")

    runner = app.test_cli_runner()
    created = runner.invoke(
        main,
        [
            "tenant",
            "create",
            "--code",
            "ajt-mequinensa",
            "--name",
            "Ayuntamiento de Mequinenza",
            "--dir3",
            "L01221604",
            "--ine-code",
            "221604",
            "--default-locale",
            "es",
            "--admin-username",
            "admin.mequinensa",
            "--admin-name",
            "Admin",
            "--password",
            PASSWORD,
        ],
    )
    assert created.exit_code == 0, created.output
    refused = runner.invoke(
        main,
        [
            "tenant",
            "create",
            "--code",
            "ajt-x",
            "--name",
            "X",
            "--dir3",
            "L01250019",
            "--ine-code",
            "250019",
            "--default-locale",
            "fr",
            "--admin-username",
            "admin.x",
            "--admin-name",
            "Admin",
            "--password",
            PASSWORD,
        ],
    )
    assert refused.exit_code == 1 and "Unknown language fr" in refused.stderr
    token = {"Authorization": f"Bearer {create_token(ctx_for(platform_admin, provincial), 'script').secret}"}
    db.session.commit()
    new = {
        "code": "ajt-lleida",
        "name": "Ajuntament de Lleida",
        "dir3": "L01251207",
        "ine_code": "251207",
        "admin": {"username": "admin.lleida", "full_name": "Admin Lleida", "password": PASSWORD},
    }
    answered = app.test_client().post("/api/v1/tenants", headers=token, json=new)
    assert answered.status_code == 201 and answered.get_json()["default_locale"] == "ca"
    english = app.test_client().post(
        "/api/v1/tenants",
        headers={**token, "Accept-Language": "en"},
        json={**new, "code": "ajt-x", "default_locale": "xx"},
    )
    assert english.status_code == 422 and english.get_json()["field"] == "default_locale"
    codes = {code: locale for code, locale in db.session.execute(select(Tenant.code, Tenant.default_locale))}
    assert codes == {"diputacio": "ca", "ajt-fraga": "es", "ajt-mequinensa": "es", "ajt-lleida": "ca"}
