"""A minor works licence from the citizen to the close, in a real browser: Maria files it in the
e-office, the clerk checks it, the architect and the secretary report, the clerk proposes, the
mayor signs the decree inside her task (the PDF inline, her key password), the secretary
attests it, Maria opens the notification in the e-office and the expedient shows closed.

Every wait is on something the page shows (a selector, a URL); nothing sleeps."""

from __future__ import annotations

from sqlalchemy import select

from engine.base.db import db
from engine.decrees.book import Decree
from engine.demo.data import DEMO_PASSWORD
from engine.expedients.expedients import Expedient
from engine.process.definition.deploy import deploy_process
from engine.process.models import ProcessInstance
from tests.e2e.pages import sign_shown_pdf, wait_for_diagram
from tests.e2e.test_signing_flow import (
    _complete_task,
    demo_certificates,
    sessions,
    signing_world,
)
from tests.procedures_helpers import PROCESSES
from tests.services import run_queued_jobs
from tests.test_seu import PDF
from tests.web_clerk import World

__all__ = ["demo_certificates", "sessions", "signing_world"]  # fixtures, used by name


def _identify(page, nif: str) -> None:
    page.wait_for_url("**/dev-idp/authorize**")
    page.locator(f'button[data-nif="{nif}"]').click()


def _sign_on_the_task_page(page, live_server: str, name: str) -> None:
    """Open the sign task, see the PDF inline, type the key password and sign. The signature (PAdES,
    the decree's numbering and rendering, the steps after it) runs in the request: the wait for the
    inbox allows for a loaded machine."""
    page.goto(f"{live_server}/tasks")
    page.locator("tr[data-task-id]").get_by_role("link", name=name).click()
    page.locator("iframe#sign-pdf").wait_for()
    assert page.locator("#task-form").count() == 0  # no tick box, no form: only the signature
    with page.expect_navigation(url=f"{live_server}/tasks", timeout=120000):
        sign_shown_pdf(page, DEMO_PASSWORD)
    assert page.locator(".alert-success").count() == 1


def test_minor_works_licence_from_the_e_office_to_the_closed_expedient(live_server, browser, sessions,
                                                                      signing_world: World) -> None:
    result = deploy_process(None, PROCESSES / "llicencia_obres_menors.bpmn", shared=True, created_by="tests")
    assert result.ok, result.problems
    db.session.commit()
    seu = f"{live_server}/seu/{signing_world.tenant.code}"

    # Maria files the application in the e-office, with her project's description.
    citizen = browser.new_context(locale="ca-ES", viewport={"width": 1366, "height": 900}).new_page()
    citizen.goto(f"{seu}/")
    citizen.get_by_role("link", name="Llicència d'obres menors").click()
    citizen.locator("#start-filing").click()
    _identify(citizen, "12345678Z")
    citizen.wait_for_url("**/sollicitud")
    citizen.locator("#f_emplacament").fill("Carrer Major, 12")
    citizen.locator("#f_referencia_cadastral").fill("4A08169P03PRAT0001LR")
    citizen.locator("#f_descripcio_obres").fill("Substitució de rajoles de la cuina")
    citizen.locator("#f_tipus_obra").select_option("reforma_interior")
    citizen.locator("#f_pressupost").fill("12500.50")
    citizen.locator("#documents").set_input_files(files=[{"name": "memoria.pdf", "mimeType": "application/pdf",
                                                          "buffer": PDF}])  # fmt: skip
    citizen.locator("#filing-form button[type=submit]").click()
    citizen.wait_for_selector("#filed-receipt")
    expedient = db.session.execute(select(Expedient)).scalar_one()
    assert expedient.classification == f"{signing_world.tenant.dir3}_PRO_OBRES_MENORS"  # ENI Clasificacion

    # The clerk checks it: the form comes filled with what Maria filed.
    clerk = sessions("anna")
    clerk.goto(f"{live_server}/expedients/{expedient.id}")
    wait_for_diagram(clerk)

    def completesa(page) -> None:
        assert page.locator("#f-data-emplacament").input_value() == "Carrer Major, 12"
        assert page.locator("#f-data-nif").input_value() == "12345678Z"
        page.check("#f-data-completa")

    _complete_task(clerk, live_server, "Comprovar la sol·licitud i la completesa", completesa)

    def informe_tecnic(page) -> None:
        page.check("#f-data-informe_tecnic_favorable")
        page.fill("#f-data-informe_tecnic", "Les obres s'ajusten al POUM i no afecten l'estructura.")

    _complete_task(sessions("toni"), live_server, "Emetre l'informe tècnic", informe_tecnic)
    secretary = sessions("sergi")

    def informe_juridic(page) -> None:
        page.check("#f-data-informe_juridic_favorable")
        page.fill("#f-data-informe_juridic", "Procedeix atorgar la llicència (art. 187 TRLUC).")

    _complete_task(secretary, live_server, "Emetre l'informe jurídic", informe_juridic)

    def proposta(page) -> None:
        page.select_option("#f-data-sentit", "atorgar")
        page.fill("#f-data-fonaments", "Vistos els informes tècnic i jurídic favorables.")

    _complete_task(clerk, live_server, "Redactar la proposta de resolució", proposta)

    # The mayor signs inside her task page, then the secretary attests: real PAdES signatures.
    mayor = sessions("alba")
    _sign_on_the_task_page(mayor, live_server, "Signar el decret d'alcaldia")
    _sign_on_the_task_page(secretary, live_server, "Donar fe del decret")
    decree = db.session.execute(select(Decree)).scalar_one()
    assert decree.number and decree.attested_by_name == "Sergi Roca"

    # Maria opens the notification of the signed decree in the e-office.
    citizen.goto(f"{seu}/notificacions")
    citizen.locator("#notifications tbody a").first.click()
    citizen.locator("#open-notification").click()
    citizen.wait_for_selector("#notified-document")
    run_queued_jobs()

    # The procedure went on by itself and closed the expedient.
    clerk.goto(f"{live_server}/expedients/{expedient.id}")
    clerk.locator("h1 .badge.text-bg-secondary").wait_for()
    db.session.expire_all()
    assert db.session.get(Expedient, expedient.id).state == "E02"  # type: ignore[union-attr]
    instance = db.session.execute(select(ProcessInstance)).scalar_one()
    assert instance.status == "completed"
    citizen.context.close()
