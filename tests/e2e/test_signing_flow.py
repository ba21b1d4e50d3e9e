"""Clerk -> mayor -> secretary in a real browser: a report goes up, is sent for signature, the mayor
signs it from the queue, the secretary attests, and the document then verifies with two valid
signatures. And the instància genèrica walked to its decree, with the diagram's highlight
following each step: the mayor signs it on her task page (PDF shown, key password typed), the
secretary attests it, the book shows its number and pyHanko validates both signatures."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask
from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.decrees.book import Decree
from engine.demo import ca as test_ca
from engine.demo.data import DEMO_PASSWORD
from engine.documents.documents import Document, issue_document, read_content, store_document
from engine.expedients.expedients import parties_of
from engine.notifications.notifications import notify, record_postal_attempt
from engine.signatures.circuits import request_signatures
from engine.signatures.credentials import import_personal
from tests.conftest import PASSWORD, ctx_for
from tests.e2e.pages import axe_violations, log_in, sign_shown_pdf, wait_for_diagram
from tests.services import run_queued_jobs
from tests.test_signatures_helpers import report_pdf
from tests.web_clerk import World, make_world, open_case

SHOTS = Path("/tmp/gee-shots")


@pytest.fixture(scope="session")
def demo_certificates(app: Flask) -> dict[str, bytes]:
    """PKCS#12 files from the installation's demo CA for the mayor and the secretary of
    tests.web_clerk, protected with the demo key password: RSA keys are made once a session."""
    with app.app_context():
        ca_key, ca_cert = test_ca.load_or_create_ca()
        files = {}
        for full_name, serial in (("Alba Mas", "alba"), ("Sergi Roca", "sergi")):
            key, cert = test_ca.issue_certificate(ca_key, ca_cert, full_name, serial=serial)
            files[serial] = test_ca.pkcs12_file(key, cert, ca_cert, DEMO_PASSWORD)
    return files


@pytest.fixture
def signing_world(demo_certificates: dict[str, bytes]) -> World:
    world = make_world()
    for user in (world.mayor, world.secretary):
        import_personal(Context.system(world.tenant.id), user.id, demo_certificates[user.username], DEMO_PASSWORD)
    db.session.commit()
    return world


@pytest.fixture
def sessions(browser, live_server) -> Iterator[object]:
    """``login(username)``: a page of a fresh browser context, logged in as that user."""
    contexts = []

    def login(username: str):
        context = browser.new_context(locale="ca-ES", viewport={"width": 1366, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("Nom d'usuari").fill(username)
        page.get_by_label("Contrasenya").fill(PASSWORD)
        page.get_by_role("button", name="Inicia la sessió").click()
        page.wait_for_url(f"{live_server}/")
        return page

    yield login
    for context in contexts:
        context.close()


def _marker(page, element_id: str) -> str:
    return page.locator(f'#diagram g.djs-element[data-element-id="{element_id}"]').first.get_attribute("class") or ""


def _open_expedient(page, url: str) -> None:
    page.goto(url)
    wait_for_diagram(page)


def _sign_first_in_queue(page, live_server: str) -> None:
    assert page.locator('nav a[href="/signatures"] .badge').inner_text().strip() == "1"
    page.goto(f"{live_server}/signatures")
    page.locator("#signature-queue tr[data-step-id] a").first.click()
    page.wait_for_selector("iframe.gee-pdf")
    assert "/document.pdf" in (page.locator("iframe.gee-pdf").get_attribute("src") or "")
    sign_shown_pdf(page, DEMO_PASSWORD)
    page.wait_for_url(f"{live_server}/signatures")
    page.wait_for_selector("#queue-empty")
    assert page.locator('nav a[href="/signatures"] .badge').count() == 0


def test_clerk_requests_signatures_mayor_signs_secretary_attests(live_server, sessions, signing_world, tmp_path):
    opened = open_case(signing_world, subject="Sol·licitud de llicència de gual")
    db.session.commit()
    expedient_url = f"{live_server}/expedients/{opened.expedient.id}"
    SHOTS.mkdir(exist_ok=True)

    clerk = sessions("anna")
    clerk.goto(expedient_url)
    report = tmp_path / "informe.pdf"
    report.write_bytes(report_pdf("Informe favorable a la llicència de gual."))
    clerk.set_input_files("#file", str(report))
    clerk.fill("#title", "Informe de la secretaria")
    clerk.select_option("#tipo_documental", "TD13")
    clerk.select_option("#origin", "administration")
    clerk.locator("#documents form[enctype] button[type=submit]").click()
    row = clerk.locator("#documents tr[data-document-id]", has_text="Informe de la secretaria")
    row.wait_for()
    row.locator("select[name=circuit]").select_option("alcalde_secretari")
    row.locator("form.sign-request-form button[type=submit]").click()
    row = clerk.locator("#documents tr[data-document-id]", has_text="Informe de la secretaria")
    row.locator('.signature-waiting[data-role="alcalde"]').wait_for()
    clerk.screenshot(path=str(SHOTS / "signature-requested.png"), full_page=True)

    mayor = sessions("alba")
    _sign_first_in_queue(mayor, live_server)
    clerk.reload()
    row = clerk.locator("#documents tr[data-document-id]", has_text="Informe de la secretaria")
    row.locator('.signature-waiting[data-role="secretari"]').wait_for()

    secretary = sessions("sergi")
    _sign_first_in_queue(secretary, live_server)

    clerk.reload()
    row = clerk.locator("#documents tr[data-document-id]", has_text="Informe de la secretaria")
    assert row.locator(".signature-waiting").count() == 0
    assert re.search(r"[A-Z0-9]{4}-", row.locator("code").inner_text())  # issued with its CSV
    row.locator("a.signature-check").click()
    verdict = clerk.locator("#signature-verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-valid") == "true"
    assert clerk.locator("main table tbody tr").count() == 2
    signers = clerk.locator("main table tbody").inner_text()
    assert "Alba Mas" in signers and "Sergi Roca" in signers
    clerk.screenshot(path=str(SHOTS / "signatures-valid.png"), full_page=True)


def _complete_task(page, live_server: str, name: str, fill) -> None:
    page.goto(f"{live_server}/tasks")
    page.locator("tr[data-task-id]").get_by_role("link", name=name).click()
    page.wait_for_selector("#task-form")
    fill(page)
    page.locator("button[value=complete]").click()
    page.wait_for_url(f"{live_server}/tasks")
    if page.locator('#after-completion[data-generating="pending"]').count():
        run_queued_jobs()  # with Redis the step's documents are rendered by a worker, as here
        page.wait_for_selector("#after-completion:not([data-generating])")  # the inbox asks until they are ready


def _assert_current(page, url: str, current: str, done: tuple[str, ...]) -> None:
    _open_expedient(page, url)
    assert "gee-current" in _marker(page, current)
    for element in done:
        assert "gee-done" in _marker(page, element) and "gee-current" not in _marker(page, element)


def _sign_on_the_task_page(page, live_server: str, name: str) -> None:
    """Open the sign task from the inbox, see the PDF inline, type the key password and sign."""
    page.goto(f"{live_server}/tasks")
    page.locator("tr[data-task-id]").get_by_role("link", name=name).click()
    frame = page.locator("iframe#sign-pdf")
    frame.wait_for()
    assert page.locator("#task-form").count() == 0  # no tick box, no form: only the signature
    pdf = page.request.get(f"{live_server}{frame.get_attribute('src')}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    sign_shown_pdf(page, DEMO_PASSWORD)
    page.wait_for_url(f"{live_server}/tasks")
    assert page.locator(".alert-success").count() == 1


def _verified_signers(pdf: bytes, ca_pem: bytes) -> list[str]:
    """pyHanko's validation of every signature, trusting only the demo CA."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(ca_pem).public_bytes(serialization.Encoding.DER))
    signers = []
    for embedded in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures:
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], allow_fetching=False))
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        signers.append(status.signing_cert.subject.native["common_name"])
    return signers


def test_instancia_generica_decree_signed_by_the_mayor_and_attested_in_the_browser(live_server, sessions,
                                                                                  signing_world):
    world = signing_world
    opened = open_case(world, subject="Petició de canvi de titularitat")
    db.session.commit()
    url = f"{live_server}/expedients/{opened.expedient.id}"

    clerk = sessions("anna")
    _assert_current(clerk, url, "Task_revisar", ("StartEvent_entrada",))

    def revisar(page) -> None:
        page.select_option("#f-data-unitat_responsable", "Secretaria")
        page.check("#f-data-completa")

    _complete_task(clerk, live_server, "Revisar i assignar la sol·licitud", revisar)
    _assert_current(clerk, url, "Task_tramitar", ("Task_revisar",))

    def tramitar(page) -> None:
        page.fill("#f-data-resum", "Cal resoldre el canvi de titularitat per decret.")
        page.check("#f-data-cal_resolucio")

    _complete_task(clerk, live_server, "Tramitar la sol·licitud", tramitar)
    _assert_current(clerk, url, "Task_proposta", ("Task_revisar", "Task_tramitar"))
    assert "gee-current" not in _marker(clerk, "Task_respondre")

    secretary = sessions("sergi")

    def proposta(page) -> None:
        page.select_option("#f-data-sentit", "estimar")
        page.fill("#f-data-fonaments", "La sol·licitud compleix els requisits de l'ordenança.")

    _complete_task(secretary, live_server, "Redactar la proposta de resolució", proposta)
    _assert_current(clerk, url, "Task_decret", ("Task_revisar", "Task_tramitar", "Task_proposta"))
    assert "Alcalde/essa" in clerk.locator("#pending-tasks").inner_text()  # the decree task waits for the mayor
    clerk.screenshot(path=str(SHOTS / "decree-at-the-mayor.png"), full_page=True)

    mayor = sessions("alba")
    assert mayor.locator('nav a[href="/signatures"] .badge').inner_text().strip() == "1"  # in her queue too
    _sign_on_the_task_page(mayor, live_server, "Resoldre per decret d'alcaldia")
    _sign_on_the_task_page(secretary, live_server, "Donar fe del decret")
    # notified: the step waits for the notification's own outcome
    _assert_current(clerk, url, "Task_resolucio_notificada",
                    ("Task_decret", "Task_fe", "Task_decret_signat", "S_resolucio_notificar"))

    mayor.goto(f"{live_server}/decrees/book")
    year = local_date(utcnow()).year
    row = mayor.locator("main table tbody tr").first
    assert row.locator("td").first.inner_text().strip() == f"DEC/{year}/0001"
    assert "Alba Mas" in row.inner_text()

    decree = db.session.execute(select(Decree)).scalar_one()
    doc = db.session.execute(select(Document).where(Document.title.like(f"{decree.number} %"))
                             .order_by(Document.version.desc())).scalars().first()
    assert doc is not None and doc.version == 2 and doc.csv
    pdf = read_content(ctx_for(world.clerk, world.tenant), doc.id)[1]
    # pyHanko validates with asyncio.run: off the thread where Playwright's event loop runs
    with ThreadPoolExecutor(1) as pool:
        ca_pem = test_ca.load_or_create_ca()[1].public_bytes(serialization.Encoding.PEM)
        assert pool.submit(_verified_signers, pdf, ca_pem).result() == ["Alba Mas", "Sergi Roca"]


def test_expedient_page_with_notifications_and_signatures_is_accessible(live_server, browser):
    world = make_world()
    opened = open_case(world)
    ctx = ctx_for(world.clerk, world.tenant)
    eid = opened.expedient.id
    resolution = store_document(ctx, eid, "resolucio.pdf", report_pdf("Resolució."), title="Resolució",
                                tipo_documental="TD01", from_administration=True)
    issue_document(ctx, resolution.id)
    report = store_document(ctx, eid, "informe.pdf", report_pdf("Informe."), title="Informe",
                            tipo_documental="TD13", from_administration=True)
    store_document(ctx, eid, "annex.pdf", report_pdf("Annex."), title="Annex", tipo_documental="TD99",
                   from_administration=True)
    request_signatures(ctx, report.id, ["alcalde", "secretari"])
    party_id = parties_of(ctx, eid)[0].party_id
    postal = notify(ctx, eid, party_id, resolution.id)
    record_postal_attempt(ctx, postal.id, postal.made_available_at, "absent")
    notify(ctx, eid, party_id, resolution.id, "electronic")
    db.session.commit()

    context = browser.new_context(locale="ca-ES", bypass_csp=True)  # axe is injected inline
    try:
        page = context.new_page()
        log_in(page, live_server, "anna")
        page.goto(f"{live_server}/expedients/{eid}")
        wait_for_diagram(page)
        assert page.locator("#notification-list tr[data-notification-id]").count() == 2
        assert page.locator("form.attempt-form").count() == 1
        assert page.locator("form.sign-request-form").count() == 2  # the resolution and the annex
        assert axe_violations(page) == []
    finally:
        context.close()
