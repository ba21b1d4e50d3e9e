"""axe-core on the main pages: no "serious" or "critical" accessibility violation (WCAG 2.1 AA)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.documents.documents import issue_document
from engine.noticeboard import edicts
from engine.process.definition.deploy import deploy_uploaded
from engine.process.models import HumanTask
from engine.registry.open_expedient import PartyInput, open_and_start
from engine.tenancy.models import ROLES
from tests.conftest import PASSWORD, ctx_for, make_tenant, make_user
from tests.e2e.pages import axe_violations
from tests.instancia_files import BPMN, FORMS, TEMPLATES
from tests.test_signatures_helpers import pdf_document


@pytest.fixture
def town():
    tenant = make_tenant(name="Ajuntament de Proves")
    user = make_user("anna", tenant, ROLES, full_name="Anna Puig")
    ctx = ctx_for(user, tenant)
    forms = {f.name: f.read_bytes() for f in FORMS}
    templates = {f.name: f.read_bytes() for f in TEMPLATES}
    deployed = deploy_uploaded(ctx, BPMN.read_text(), forms=forms, templates=templates)
    assert deployed.ok
    db.session.commit()
    opened = open_and_start(ctx, process_model_id=deployed.version.model_id, subject="Sol·licitud de prova",
                            party=PartyInput(nif="12345678Z", name="Maria Puig"))
    task = db.session.execute(db.select(HumanTask)).scalars().first()
    # what the public reads: an issued document (its CSV verified) and an edict of public information
    report = issue_document(ctx, pdf_document(ctx, opened.expedient.id).id)
    edict = edicts.publish(ctx, opened.expedient.id, title="Informació pública: ordenança de civisme",
                           text="Es sotmet a informació pública.\n\nTermini: vint dies hàbils.",
                           starts_on=local_date(utcnow()), working_days=20, public_information=True)
    db.session.commit()
    return {"model_id": deployed.version.model_id, "expedient_id": opened.expedient.id, "task_id": task.id,
            "csv": report.csv, "edict_id": edict.id}


def test_main_pages_have_no_serious_accessibility_violations(app, live_server, browser, town):
    # axe is injected as an inline script, which the app's CSP rightly forbids: bypass it for the audit only.
    context = browser.new_context(locale="ca-ES", bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        page.goto(f"{live_server}/login")
        found["/login"] = axe_violations(page)
        page.fill("input[name=username]", "anna")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(f"{live_server}/")
        paths = ["/", "/dashboard/", "/catalogue/", f"/catalogue/{town['model_id']}", "/admin/", "/api-tokens/",
                 "/tasks", f"/tasks/{town['task_id']}", f"/expedients/{town['expedient_id']}", "/expedients",
                 "/expedients/new", "/registry", "/registry/new", "/deadlines", "/decrees/book", "/signatures",
                 "/admin/jobs/", "/admin/audit/", "/transparency", "/admin/units/", "/admin/webhooks/", "/escalations",
                 "/bodies", "/noticeboard", "/powers", "/dashboard/terms/", "/tasks/municipalities/",
                 "/admin/incidents",
                 # public pages: document verification, the citizen e-office, the transparency portal and
                 # the notice board
                 "/verify", f"/verify?csv={town['csv']}", "/seu/", "/seu/ajt-proves/", "/transparencia/ajt-proves/",
                 "/tauler/ajt-proves/", f"/tauler/ajt-proves/{town['edict_id']}"]
        for path in paths:
            found[path] = _audited(page, f"{live_server}{path}")
        # the citizen's own pages, identified through the development provider, and a refused form
        page.goto(f"{live_server}/seu/ajt-proves/entrar")
        page.locator('button[data-nif="12345678Z"]').click()
        page.wait_for_url("**/seu/ajt-proves/carpeta")
        for path in ("carpeta", "notificacions", "apoderaments", "apoderaments/nou", "accessos",
                     f"tauler/{town['edict_id']}/al-legacions"):
            found[f"/seu/ajt-proves/{path}"] = _audited(page, f"{live_server}/seu/ajt-proves/{path}")
        page.locator("#allegation-form button[type=submit]").click()
        page.wait_for_selector("#allegation-errors")
        found["/seu/ajt-proves/tauler/…/al-legacions (refused)"] = axe_violations(page)
    finally:
        context.close()
    problems = {path: v for path, v in found.items() if v}
    assert not problems, "\n".join(f"{path}: {v}" for path, v in problems.items())


def _audited(page: Any, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    return axe_violations(page)
