"""A citizen files an instància genèrica on the e-office in a real browser, is required to
amend it, answers, receives the resolution as a notification and verifies it by its CSV;
another citizen sees none of it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.base.db import db
from engine.documents.documents import Document, issue_document, store_document, verify_by_csv
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party
from engine.notifications.notifications import notify
from engine.process.instances import tasks as instances
from engine.process.instances.messages import AwaitedMessage
from engine.process.models import HumanTask
from tests.conftest import PASSWORD, ctx_for, make_tenant, make_user
from tests.e2e.pages import focus_moves_to
from tests.services import run_queued_jobs
from tests.test_seu import PDF, esmena_version

SHOTS = Path("/tmp/gee-shots")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"seu-{name}.png"), full_page=True)


def _identify(page, nif: str) -> None:
    page.wait_for_url("**/dev-idp/authorize**")
    page.locator(f'button[data-nif="{nif}"]').click()


def test_citizen_files_amends_is_notified_and_verifies(live_server, page, browser):
    tenant = make_tenant("sant-proves", "Ajuntament de Sant Proves")
    clerk = make_user("anna", tenant, ("tramitador", "secretari"), full_name="Anna Puig")
    db.session.commit()
    esmena_version(tenant.id)
    ctx = ctx_for(clerk, tenant)
    seu = f"{live_server}/seu/{tenant.code}"

    # The catalogue and the procedure sheet are public.
    page.goto(f"{seu}/")
    _shot(page, "catalogue")
    page.get_by_role("link", name="Instància genèrica").click()
    _shot(page, "procedure")
    page.locator("#start-filing").click()

    # Identification through the (development) OpenID Connect provider.
    _shot(page, "idp")
    _identify(page, "12345678Z")
    page.wait_for_url("**/sollicitud")
    # Sent empty, the form says what is missing next to each field, and sums it up at its top (no
    # flash, which would outlive the corrections); a field she fills in loses its error and its line.
    page.locator("#filing-form button[type=submit]").click()
    page.wait_for_selector("#f_assumpte-error")
    assert page.locator("#f_exposo-error").count() == 1
    summary = page.locator("#filing-form #filing-errors[role=alert]")
    assert summary.count() == 1 and page.locator("main .alert").count() == 1
    focus_moves_to(page, "filing-errors")
    links = summary.locator("li a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#f_assumpte", "#f_exposo", "#f_sollicito"]
    page.locator("#f_assumpte").fill("Gual permanent")
    page.wait_for_selector("#f_assumpte-error", state="detached")
    assert page.get_attribute("#f_assumpte", "aria-invalid") is None
    assert page.locator("#f_exposo-error").count() == 1
    assert summary.locator('a[href="#f_assumpte"]').count() == 0 and summary.locator("li").count() == 2
    page.locator("#f_exposo").fill("Tinc un garatge al carrer Major, 3.")
    assert summary.count() == 1  # one field still in error
    page.locator("#f_sollicito").fill("Una placa de gual permanent.")
    # with no field left in error, the summary goes too
    summary.wait_for(state="detached")
    assert page.locator("main .alert").count() == 0
    page.locator("#documents").set_input_files(files=[{"name": "planol.pdf", "mimeType": "application/pdf",
                                                       "buffer": PDF}])  # fmt: skip
    _shot(page, "form")
    page.locator("#filing-form button[type=submit]").click()
    page.wait_for_selector("#filed-receipt")
    _shot(page, "filed")
    expedient = db.session.execute(select(Expedient)).scalar_one()
    assert expedient.number in page.inner_text("h1")
    # The receipt is issued by a job (with Redis, by the worker run here): the page shows it without a reload.
    run_queued_jobs()
    page.wait_for_selector('#filed-receipt [data-receipt="ready"] a')
    with page.expect_download() as receipt:
        page.locator("#filed-receipt a").click()
    assert receipt.value.suggested_filename.startswith("justificant-E-")

    # The clerk sees the request in the inbox.
    staff = browser.new_context(locale="ca-ES").new_page()
    staff.goto(f"{live_server}/login")
    staff.locator("#username").fill("anna")
    staff.locator("#password").fill(PASSWORD)
    staff.locator("form button[type=submit]").last.click()
    staff.goto(f"{live_server}/tasks")
    assert "Revisar la sol·licitud" in staff.inner_text("main")
    assert expedient.number in staff.inner_text("main")
    staff.context.close()

    # … and requires the applicant to amend it.
    task = db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).scalar_one()
    result = instances.complete_task(ctx, task.id, {"completa": False})
    instances.complete_task(ctx, result["ready_tasks"][0]["id"], {"documents_requerits": "Plànol signat"})

    page.goto(f"{seu}/carpeta")
    _shot(page, "folder")
    page.get_by_role("link", name=expedient.number).click()
    page.locator("#answer-requeriment").click()
    # Sent empty, the answer says what is missing as the filing form does: beside the documents and in its own
    # summary, no flash; writing the answer answers it as much as attaching does, so the message goes as she types.
    page.locator("#answer-form button[type=submit]").click()
    page.wait_for_selector("#documents-error")
    summary = page.locator("#answer-form #answer-errors[role=alert]")
    assert summary.count() == 1 and page.locator("main [role=alert]").count() == 1
    focus_moves_to(page, "answer-errors")
    assert page.get_attribute("#documents", "aria-describedby") == "documents-error"
    page.locator("#text").fill("Adjunto el plànol signat.")
    page.wait_for_selector("#documents-error", state="detached")
    summary.wait_for(state="detached")
    assert page.get_attribute("#documents", "aria-invalid") is None
    page.locator("#documents").set_input_files(files=[{"name": "planol-signat.pdf", "mimeType": "application/pdf",
                                                       "buffer": PDF}])  # fmt: skip
    _shot(page, "answer")
    page.locator("#answer-form button[type=submit]").click()
    page.wait_for_selector("#filed-receipt")
    db.session.expire_all()
    assert db.session.execute(select(AwaitedMessage)).scalar_one().state == "received"

    # The clerk resolves and notifies the resolution.
    task = db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).scalar_one()
    assert task.element_id == "Task_resoldre"
    resolution = store_document(ctx, expedient.id, "resolucio.pdf", PDF, title="Resolució", tipo_documental="TD01",
                                from_administration=True)  # fmt: skip
    issue_document(ctx, resolution.id)
    party = db.session.execute(select(Party).where(Party.nif == "12345678Z")).scalar_one()
    notify(ctx, expedient.id, party.id, resolution.id, "electronic")
    db.session.commit()
    instances.complete_task(ctx, task.id, {"resolucio": "Es concedeix el gual."})

    page.goto(f"{seu}/notificacions")
    _shot(page, "notifications")
    page.locator("#notifications tbody a").first.click()
    page.locator("#open-notification").click()
    page.wait_for_selector("#notified-document")
    _shot(page, "notification")
    with page.expect_download() as notified:
        page.locator("#notified-document").click()
    assert Path(notified.value.path()).read_bytes() == PDF

    # The resolution's CSV verifies it.
    csv = db.session.get(Document, resolution.id).csv
    page.goto(f"{seu}/carpeta/{expedient.id}")
    assert csv in page.inner_text("#documents")
    assert verify_by_csv(csv).intact

    # Another citizen sees none of it.
    other = browser.new_context(locale="ca-ES").new_page()
    urls = [f"{seu}/carpeta/{expedient.id}", f"{seu}/documents/{resolution.id}",
            f"{seu}/notificacions/1"]  # fmt: skip
    other.goto(f"{seu}/carpeta")
    _identify(other, "87654321X")
    other.wait_for_url("**/carpeta")
    assert expedient.number not in other.inner_text("main")
    for url in urls:
        assert other.goto(url).status == 404, url
    other.context.close()


def test_a_refused_power_grant_keeps_what_she_chose_and_clears_as_she_corrects(live_server, page):
    tenant = make_tenant("sant-proves", "Ajuntament de Sant Proves")
    esmena_version(tenant.id)  # a procedure to choose
    db.session.commit()
    page.goto(f"{live_server}/seu/{tenant.code}/apoderaments/nou")
    _identify(page, "12345678Z")
    page.wait_for_url("**/apoderaments/nou")
    page.locator("#representative_nif").fill("87654321X")
    page.locator("#representative_name").fill("Jordi Vidal Roca")
    page.locator("#scope-some").check()
    page.locator("#power-form button[type=submit]").click()
    # "only these procedures" but none chosen: said beside the list and in the form's summary, which has the focus
    page.wait_for_selector("#procedures-error")
    focus_moves_to(page, "power-errors")
    assert page.locator("main [role=alert]").count() == 1
    assert page.input_value("#representative_name") == "Jordi Vidal Roca" and page.is_checked("#scope-some")
    # choosing all of them answers it: the message and the summary go at once
    page.locator("#scope-all").check()
    page.wait_for_selector("#procedures-error", state="detached")
    page.locator("#power-errors").wait_for(state="detached")
    assert page.get_attribute("#procedures", "aria-invalid") is None
    page.locator("#power-form button[type=submit]").click()
    page.wait_for_selector("#power-data")  # the confirmation of what she granted
    assert "Jordi Vidal Roca (87654321X)" in page.inner_text("#power-data")
