"""A process designer edits a shipped procedure in the modeler's properties panel, in Chromium:
a setting the deploy validation refuses is marked on its element, fixed in the panel, saved as a
draft and published."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from engine.base.db import db
from engine.base.xml_safety import safe_parse_xml
from engine.process.definition.deploy import deploy_uploaded
from engine.process.definition.validation import NS, properties
from engine.process.models import ProcessVersion
from engine.tenancy.units import create_unit
from tests.conftest import PASSWORD, ctx_for, make_tenant, make_user
from tests.e2e.pages import PAGE_WAIT_MS, axe_violations
from tests.instancia_files import BPMN, FORMS, TEMPLATES

TASK = "Task_revisar"  # "Revisar i assignar la sol·licitud", a clerk's user task with a form


@pytest.fixture
def model_id() -> int:
    """The shipped instància genèrica, published for a town that has the unit "urbanisme"."""
    tenant = make_tenant("ajt-modelador", "Ajuntament del Modelador")
    user = make_user("dissenyadora", tenant, ("dissenyador", "admin"), full_name="Dolors Dissenyadora")
    ctx = ctx_for(user, tenant)
    create_unit(ctx, "urbanisme", "Urbanisme")
    deployed = deploy_uploaded(ctx, BPMN.read_text(encoding="utf-8"), forms={f.name: f.read_bytes() for f in FORMS},
                               templates={f.name: f.read_bytes() for f in TEMPLATES})  # fmt: skip
    assert deployed.ok, deployed.problems
    db.session.commit()
    return deployed.version.model_id


def _log_in(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "dissenyadora")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server}/")


def _open_modeler(page: Any, live_server: str, model_id: int) -> None:
    page.goto(f"{live_server}/catalogue/{model_id}/modeler")
    _wait_for_modeler(page)


def _wait_for_modeler(page: Any) -> None:
    modeler = page.wait_for_selector("#bpmn-modeler[data-ready]", timeout=PAGE_WAIT_MS)
    assert modeler.get_attribute("data-ready") == "true"


def _set_unit(page: Any, code: str) -> None:
    """Select the task on the canvas, open the panel's GEE group and type the unit code."""
    page.locator(f".djs-element.djs-shape[data-element-id='{TASK}']").click()
    page.wait_for_selector(".bio-properties-panel-header-label:has-text('Revisar i assignar')")
    group = page.locator("[data-group-id='group-gee'] .bio-properties-panel-group-header")
    if "open" not in (group.get_attribute("class") or "").split():
        group.click()
    field = page.locator("#bio-properties-panel-gee-unit")
    field.fill(code)


def _unit_of(version: ProcessVersion) -> str | None:
    task = safe_parse_xml(version.bpmn_xml).find(f".//bpmn:userTask[@id='{TASK}']", NS)
    return properties(task).get("gee:unit")


def _spiff_elements(xml: str) -> int:
    root = safe_parse_xml(xml)
    return sum(1 for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).namespace == NS["spiffworkflow"])


def test_a_unit_set_in_the_panel_is_marked_when_refused_then_fixed_and_published(live_server, page, model_id):
    _log_in(page, live_server)
    _open_modeler(page, live_server, model_id)

    # A unit the town does not have: saving is refused, nothing is stored, and the problem is on the task.
    _set_unit(page, "urbanismo")
    assert page.input_value("#bio-properties-panel-gee-lane") == "tramitador"  # who does it: the lane, shown
    page.locator("#modeler-form button[type=submit]").click()
    page.wait_for_selector("#problems")
    _wait_for_modeler(page)
    note = page.locator(f".gee-problem-note[data-element-id='{TASK}']")
    assert "urbanismo" in note.inner_text() and "no té" in note.inner_text()  # "…que aquest municipi no té"
    assert page.locator(f".djs-element.gee-problem[data-element-id='{TASK}']").count() == 1
    db.session.expire_all()
    assert len(db.session.execute(select(ProcessVersion)).scalars().all()) == 1

    # The page came back with the designer's unsaved XML: the panel still shows the refused code.
    _set_unit(page, "urbanisme")
    page.locator("#modeler-form button[type=submit]").click()
    page.wait_for_url("**/preview", timeout=PAGE_WAIT_MS)
    assert page.inner_text("#version-status") == "esborrany"
    page.locator("#publish-version").click()
    page.wait_for_url("**/catalogue/*")

    db.session.expire_all()
    first, second = db.session.execute(select(ProcessVersion).order_by(ProcessVersion.number)).scalars().all()
    assert second.number == 2 and not second.is_draft
    assert _unit_of(second) == "urbanisme" and _unit_of(first) is None
    # Everything else SpiffWorkflow reads survived the round trip through the browser: one property more.
    assert _spiff_elements(second.bpmn_xml) == _spiff_elements(first.bpmn_xml) + 1


def test_the_modeler_its_panel_and_its_problems_have_no_serious_accessibility_violations(
    live_server, browser, model_id
):
    context = browser.new_context(locale="ca-ES", bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    try:
        _log_in(page, live_server)
        _open_modeler(page, live_server, model_id)
        assert axe_violations(page) == []
        # A refused save: the problem list with its element buttons, the notes on the diagram.
        _set_unit(page, "urbanismo")
        page.locator("#modeler-form button[type=submit]").click()
        page.wait_for_selector("#problems")
        _wait_for_modeler(page)
        assert page.locator(f"#problems button:has-text('{TASK}')").count() == 1
        assert axe_violations(page) == []
        # The panel open on the task, its GEE group expanded.
        _set_unit(page, "urbanisme")
        assert axe_violations(page) == []
    finally:
        context.close()
