"""Form words (the form's title, each field's title and description) reach people in their language."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import refresh
from sqlalchemy import select

from engine.base.db import db
from engine.base.form_labels import missing_labels
from engine.base.settings import PROJECT_ROOT
from engine.citizens.procedures import filed_form
from engine.demo.data import deploy_shipped_procedures
from engine.process.definition.deploy import deploy_process
from engine.process.definition.form_label_warnings import missing_form_labels
from engine.process.models import ProcessModel, ProcessVersion
from tests.conftest import csrf_token, login, make_tenant, make_user
from tests.test_seu import citizen_login
from tests.web_clerk import INSTANCIA, make_world, open_case, ready_task
from webapp.forms_render import build_fields

FORMS = sorted((PROJECT_ROOT / "forms").glob("*.json"))


def _read(name: str) -> dict:
    return json.loads((PROJECT_ROOT / "forms" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_every_text_of_a_shipped_form_has_spanish_and_english(path: Path):
    assert missing_labels(json.loads(path.read_text(encoding="utf-8"))) == []


def test_every_shipped_version_deploys_without_a_form_label_warning():
    assert all(result.ok for result in deploy_shipped_procedures().values())
    for version in db.session.scalars(select(ProcessVersion)):
        assert missing_form_labels(version) == [], version.model.key


@pytest.mark.parametrize(("language", "label", "help"), [
    ("ca", "Resultat", "correcta: es fa la visita; deficiencies: cal requerir-ne l'esmena; ineficac: inexactitud, "
                       "falsedat o omissió essencial (art. 69.4 Llei 39/2015)"),
    ("es", "Resultado", "correcta: se realiza la visita; deficiencies: debe requerirse su subsanación; ineficac: "
                        "inexactitud, falsedad u omisión esencial (art. 69.4 Ley 39/2015)"),
    ("en", "Result", "correcta: the visit takes place; deficiencies: their correction must be required; ineficac: "
                     "material inaccuracy, falsehood or omission (art. 69.4 Law 39/2015)"),
])  # fmt: skip
def test_a_field_shows_its_title_and_description_in_the_readers_language(app: Flask, language, label, help):
    with app.test_request_context(headers={"Accept-Language": language}):
        refresh()
        field = next(f for f in build_fields(_read("activitat_comprovacio.json"), {}) if f.path == "resultat")
        assert (field.label, field.help) == (label, help)
    refresh()


def test_the_rows_of_an_array_are_titled_in_the_readers_language(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        rows = next(f for f in build_fields(_read("subvencio_valoracio.json"), {}) if f.path == "valoracions")
        assert rows.label == "Admitted applications and their scores"
        assert [f.label for f in rows.template] == ["Case file of the application", "Applicant", "Score",
                                                    "Amount requested (€)"]  # fmt: skip
    refresh()


@pytest.mark.parametrize(("language", "shown", "hidden"), [
    ("es", ["Unidad responsable", "La solicitud está completa", "Deficiencias que deben subsanarse (si no está "
            "completa)", "Observaciones"], ["Unitat responsable", "Mancances que cal esmenar"]),
    ("en", ["Unit in charge", "The application is complete", "Deficiencies to remedy (if it is not complete)",
            "Remarks"], ["Unitat responsable", "Mancances que cal esmenar", "Observacions"]),
    ("ca", ["Unitat responsable", "La sol·licitud és completa", "Mancances que cal esmenar (si no és completa)",
            "Observacions"], ["Unit in charge"]),
])  # fmt: skip
def test_the_staff_task_form_speaks_the_clerks_language(client, language, shown, hidden):
    world = make_world()
    task = ready_task(open_case(world).expedient.id)
    login(client, "anna")
    client.post("/locale", data={"locale": language, "csrf_token": csrf_token(client, "/"), "next": "/"})
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    labels = [" ".join(label.split()) for label in re.findall(r"<label[^>]*>\s*([^<*]+?)\s*(?:<|$)", html)]
    assert all(text in labels for text in shown), labels
    assert not any(text in html for text in hidden)


def test_the_draft_preview_shows_the_form_in_the_designers_language(client):
    tenant = make_tenant()
    make_user("dina", tenant, ("dissenyador",))
    version = deploy_process(None, INSTANCIA, tenant_id=tenant.id, draft=True).version
    db.session.commit()
    login(client, "dina")
    client.post("/locale", data={"locale": "es", "csrf_token": csrf_token(client, "/"), "next": "/"})
    html = client.get(f"/catalogue/versions/{version.id}/preview").get_data(as_text=True)
    assert "Unidad responsable" in html and "Unitat responsable" not in html
    assert 'id="form-label-warnings"' not in html


@pytest.mark.parametrize(("language", "shown", "hidden"), [
    ("es", ["Asunto", "Información que solicita", "Forma de acceso preferida"], ["Informació que sol·liciteu"]),
    ("en", ["Subject", "Information you request", "Preferred form of access"], ["Informació que sol·liciteu"]),
])  # fmt: skip
def test_the_e_office_form_speaks_the_citizens_language(app: Flask, tenant, language, shown, hidden):
    deploy_shipped_procedures()
    db.session.commit()
    citizen = app.test_client()
    citizen_login(citizen, tenant.code)
    citizen.post("/locale", data={"locale": language, "csrf_token": csrf_token(citizen, "/seu/")})
    page = citizen.get(f"/seu/{tenant.code}/tramits/acces_informacio_publica/sollicitud")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert all(text in html for text in shown) and not any(text in html for text in hidden)


def test_what_a_citizen_filed_is_titled_from_the_form_when_the_sidecar_does_not(tmp_path):
    deploy_shipped_procedures()
    model = db.session.scalars(select(ProcessModel).where(ProcessModel.key == "llicencia_obres_menors")).one()
    info = json.loads((PROJECT_ROOT / "processes" / "llicencia_obres_menors.info.json").read_text(encoding="utf-8"))
    for texts in info["citizen_info"].values():
        texts["fields"] = {}
    (tmp_path / "llicencia_obres_menors.info.json").write_text(json.dumps(info), encoding="utf-8")

    assert filed_form(model, "en", tmp_path).labels["emplacament"] == "Location of the works"  # seu_obres_menors.json
    assert filed_form(model, "es", tmp_path).labels["emplacament"] == "Emplazamiento de la obra"
    assert filed_form(model, "ca", tmp_path).labels["emplacament"] == "Emplaçament de l'obra"


def _forms_without_english_for_observacions(tmp_path: Path) -> Path:
    forms = tmp_path / "forms"
    shutil.copytree(PROJECT_ROOT / "forms", forms)
    schema = _read("instancia_generica_revisar.json")
    del schema["properties"]["observacions"]["x-labels"]["en"]
    (forms / "instancia_generica_revisar.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return forms


def test_a_form_field_without_english_is_a_deploy_warning_not_a_refusal(tmp_path):
    result = deploy_process(None, INSTANCIA, shared=True, forms_dir=_forms_without_english_for_observacions(tmp_path),
                            created_by="test")  # fmt: skip

    assert result.ok
    assert [(w.element_id, str(w.message)) for w in missing_form_labels(result.version)] == [
        ("instancia_generica_revisar.json / observacions",
         "No en in x-labels: people working in that language see the Catalan text.")]  # fmt: skip


def test_the_draft_preview_warns_about_a_form_text_without_english(client, tmp_path):
    tenant = make_tenant()
    make_user("dina", tenant, ("dissenyador",))
    forms = _forms_without_english_for_observacions(tmp_path)
    version = deploy_process(None, INSTANCIA, tenant_id=tenant.id, forms_dir=forms, draft=True).version
    db.session.commit()
    login(client, "dina")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/"), "next": "/"})
    html = client.get(f"/catalogue/versions/{version.id}/preview").get_data(as_text=True)
    warnings = html.split('id="form-label-warnings"', 1)[1].split("</section>", 1)[0]
    assert "1 form text without every language" in warnings
    assert "instancia_generica_revisar.json / observacions" in warnings
