"""In a real browser: a citizen reads an edict of public information on the notice board, identifies
in the e-office, files an allegation with a document and downloads its receipt."""

from __future__ import annotations

from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.noticeboard.public_information import open_public_information
from engine.registry.entries import RegistryEntry
from tests.e2e.pages import focus_moves_to
from tests.procedures_helpers import town
from tests.services import run_queued_jobs
from tests.test_seu import PDF


def test_a_citizen_files_an_allegation_from_the_notice_board(live_server, page):
    t = town("instancia_generica.bpmn")
    expedient_id = t.open_case("Modificació de l'ordenança de civisme")
    edict = open_public_information(t.people["secretari"], expedient_id,
                                    title="Informació pública: ordenança de civisme",
                                    text="Es sotmet a informació pública la modificació.",
                                    starts_on=local_date(utcnow()))
    db.session.commit()

    page.goto(f"{live_server}/tauler/{t.tenant.code}/")
    assert page.locator('link[rel="alternate"][type="application/rss+xml"]').count() == 1
    page.get_by_role("link", name="Informació pública: ordenança de civisme").click()
    page.locator("#file-allegation").click()
    page.wait_for_url("**/dev-idp/authorize**")
    page.locator('button[data-nif="87654321X"]').click()
    page.wait_for_url(f"**/tauler/{edict.id}/al-legacions")
    # sent empty: said beside the text and in the form's own summary; writing it clears both
    page.locator("#allegation-form button[type=submit]").click()
    page.wait_for_selector("#text-error")
    focus_moves_to(page, "allegation-errors")
    page.locator("#text").fill("Cal preveure espais per a gossos.")
    page.wait_for_selector("#text-error", state="detached")
    page.locator("#allegation-errors").wait_for(state="detached")
    page.locator("#documents").set_input_files(files=[{"name": "proposta.pdf", "mimeType": "application/pdf",
                                                       "buffer": PDF}])  # fmt: skip
    page.locator("#allegation-form button[type=submit]").click()
    page.wait_for_selector("#filed-receipt")
    entry = db.session.execute(select(RegistryEntry).where(RegistryEntry.expedient_id == expedient_id)).scalar_one()
    assert entry.number in page.inner_text("#filed-receipt")
    assert "presented-only" in page.content()
    # The receipt is issued by a job (with Redis, by the worker run here): the page shows it without a reload.
    run_queued_jobs()
    page.wait_for_selector('#filed-receipt [data-receipt="ready"] a')
    with page.expect_download() as receipt:
        page.locator("#filed-receipt a").click()
    assert receipt.value.suggested_filename.startswith("justificant-E-")
