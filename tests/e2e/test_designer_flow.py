"""A process designer uploads a procedure, previews it, test-runs it and publishes it, in Chromium."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.base.db import db
from engine.process.models import ProcessVersion
from tests.conftest import PASSWORD, make_tenant, make_user

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sol-licitud-de-prova"


def test_upload_preview_test_run_publish(live_server, page):
    tenant = make_tenant("ajt-disseny", "Ajuntament del Disseny", dir3="L01250077")
    make_user("dissenyador.e2e", tenant, ("dissenyador",), full_name="Dídac Dissenyador")
    db.session.commit()

    page.goto(f"{live_server}/")
    page.get_by_label("Nom d'usuari").fill("dissenyador.e2e")
    page.get_by_label("Contrasenya").fill(PASSWORD)
    page.get_by_role("button", name="Inicia la sessió").click()
    page.wait_for_url(f"{live_server}/")

    # 1. Upload: validated and stored as a draft.
    page.goto(f"{live_server}/catalogue/")
    page.set_input_files("#up-bpmn", str(EXAMPLE / "sollicitud_de_prova.bpmn"))
    page.set_input_files("#up-forms", [str(p) for p in sorted((EXAMPLE / "forms").glob("*.json"))])
    page.set_input_files("#up-templates", [str(p) for p in sorted((EXAMPLE / "templates").glob("*.html"))])
    page.get_by_role("button", name="Validar i pujar com a esborrany").click()
    page.wait_for_url("**/preview")

    # 2. Preview: the draft, its diagram drawn by bpmn-js, the forms with sample data, the templates.
    assert page.inner_text("#version-status") == "esborrany"
    page.wait_for_selector("#bpmn-viewer svg")
    assert page.locator("#task-T_dades input[value='12345678Z']").count() == 1
    assert "resposta_prova.ca.html" in page.inner_text("#templates")

    # Test-run with the designer's own name for the applicant: it reaches the end, nothing is kept.
    page.fill("#plan", '{"tasks": {"T_dades": {"nom": "Joana Prova"}}}')
    page.locator("#run-one").click()
    page.wait_for_selector("#run-report")
    report = page.inner_text("#run-report")
    assert "ha arribat a un final" in report and "Joana Prova" in report
    assert "Resposta a la sol·licitud de prova" in report

    # 3. Publish: the version becomes current.
    page.locator("#publish-version").click()
    page.wait_for_url("**/catalogue/*")
    assert "s'ha publicat" in page.inner_text("main")
    db.session.expire_all()
    version = db.session.execute(select(ProcessVersion)).scalar_one()
    assert not version.is_draft
